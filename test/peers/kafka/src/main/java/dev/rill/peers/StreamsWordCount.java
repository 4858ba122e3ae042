package dev.rill.peers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

import static dev.rill.peers.CheckLine.expect;

/**
 * Kafka Streams (the JVM's own stream processor) running a word count on the broker: its repartition topic
 * (groupBy) and its changelog topic (count) are created and used on the broker, and the counts it writes
 * are the counts of the lines sent (at-least-once: the latest count per word is exact). With exactly-once
 * (processing.guarantee=exactly_once_v2: one transactional producer per thread, the input offsets sent
 * to the transaction with the group's metadata, KIP-447), the output is read read_committed and each
 * word's counts must also come in increasing order, none repeated.
 */
final class StreamsWordCount {
    private static final int LINES = 2000;
    private static final String[] WORDS = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};
    private static final long DEADLINE_MS = 90_000;

    private final String bootstrap;
    private final String appId;
    private final String input;
    private final String output;
    private final boolean exactlyOnce;

    StreamsWordCount(String bootstrap, String prefix, boolean exactlyOnce) {
        this.bootstrap = bootstrap;
        String name = exactlyOnce ? prefix + "-eos" : prefix;
        this.appId = name + "-wordcount";
        this.input = name + "-lines";
        this.output = name + "-word-counts";
        this.exactlyOnce = exactlyOnce;
    }

    String run() throws Exception {
        Properties common = new Properties();
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(common)) {
            admin.createTopics(List.of(new NewTopic(input, 2, (short) 1), new NewTopic(output, 2, (short) 1))).all().get(20, TimeUnit.SECONDS);
            Topics.awaitServed(admin, List.of(input, output), 2);
            Map<String, Long> expected = produceLines();
            Path stateDir = Files.createTempDirectory("rill-peer-streams-");
            try (KafkaStreams streams = new KafkaStreams(topology(input, output), streamsConfig(stateDir))) {
                streams.start();
                Map<String, Long> counted = readCounts(expected);
                expect(counted.equals(expected), "counts " + counted + ", expected " + expected);
                Set<String> internal = admin.listTopics().names().get(20, TimeUnit.SECONDS).stream().filter(t -> t.startsWith(appId + "-")).collect(Collectors.toCollection(TreeSet::new));
                expect(internal.stream().anyMatch(t -> t.endsWith("-repartition")) && internal.stream().anyMatch(t -> t.endsWith("-changelog")), "internal topics " + internal);
                return "counted " + expected.size() + " words of " + LINES + " lines" + (exactlyOnce ? " exactly once" : "") + "; internal topics " + internal;
            } finally {
                try (var files = Files.walk(stateDir)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** Lines to words, grouped by word (a repartition topic), counted (store "counts", its changelog), each count to `output`. */
    static org.apache.kafka.streams.Topology topology(String input, String output) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
            .flatMapValues(line -> Arrays.asList(line.split(" ")))
            .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
            .count(Materialized.as("counts"))
            .toStream()
            .to(output, Produced.with(Serdes.String(), Serdes.Long()));
        return b.build();
    }

    private Properties streamsConfig(Path stateDir) {
        Properties p = streamsConfig(bootstrap, appId, stateDir, 200);
        if (exactlyOnce) p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return p;
    }

    /** An app on one broker (replication factor 1), reading its input from the start, committing every `commitIntervalMs`. */
    static Properties streamsConfig(String bootstrap, String appId, Path stateDir, int commitIntervalMs) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        return p;
    }

    /** Sends the lines (word i of line n is WORDS[(n + i) % 8], 1 to 4 words a line); the count per word. */
    private Map<String, Long> produceLines() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        Map<String, Long> counts = new HashMap<>();
        List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new java.util.ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int n = 0; n < LINES; n++) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i <= n % 4; i++) {
                    String word = WORDS[(n + i) % WORDS.length];
                    if (i > 0) line.append(' ');
                    line.append(word);
                    counts.merge(word, 1L, Long::sum);
                }
                sent.add(producer.send(new ProducerRecord<>(input, "line-" + n, line.toString())));
            }
            producer.flush();
            // Every line acked, or the send's own error.
            for (var f : sent) f.get(30, TimeUnit.SECONDS);
        }
        return counts;
    }

    /**
     * Reads the output topic until every word's latest count is the expected one (or the deadline). Exactly
     * once, it reads committed records only, and a word's count that does not grow is a duplicate.
     */
    private Map<String, Long> readCounts(Map<String, Long> expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, appId + "-reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class.getName());
        if (exactlyOnce) p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Long> latest = new HashMap<>();
        long deadline = System.currentTimeMillis() + DEADLINE_MS;
        try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(output));
            while (!latest.equals(expected) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, Long> r : c.poll(Duration.ofMillis(200))) {
                    Long before = latest.put(r.key(), r.value());
                    if (exactlyOnce) expect(before == null || r.value() > before, "word " + r.key() + " counted " + r.value() + " after " + before + " (offset " + r.offset() + ")");
                }
            }
        }
        return latest;
    }
}
