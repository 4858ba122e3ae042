package dev.rill.peers;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams side of bench:vs-kafka's word count (bench/vs-kafka-wordcount.ts): the JVM's own
 * stream processor counting the words of lines already in a topic, through its repartition topic
 * (groupBy) and changelog (count), writing each count to an output topic.
 *
 * <p>Usage: {@code StreamsWordCountBench <bootstrap> <warm-up topic> <measured topic> <app prefix> <counts file>}.
 * It first runs the app over the warm-up topic to its end and drops that (the JIT's warm-up), then runs a
 * new app over the measured topic, timed from {@code start()} until the group has committed every input
 * and repartition partition to its end, with this JVM's CPU time over the same window. It then reads the
 * output topic to its end and writes each word's latest count to the counts file ({@code word TAB count}),
 * so the caller checks the answer before it uses the figure. The last line printed is
 * {@code RESULT {"seconds":S,"cpuMs":C}}.
 */
final class StreamsWordCountBench {
    private static final long DEADLINE_MS = 600_000;

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: StreamsWordCountBench <bootstrap> <warm-up topic> <measured topic> <app prefix> <counts file>");
            System.exit(2);
        }
        String bootstrap = args[0];
        Properties common = new Properties();
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(common)) {
            run(admin, bootstrap, args[1], args[3] + "-warm-up", null);
            double[] measured = run(admin, bootstrap, args[2], args[3], Path.of(args[4]));
            System.out.println("RESULT {\"seconds\":" + measured[0] + ",\"cpuMs\":" + measured[1] + "}");
        }
        System.exit(0);
    }

    /** Runs one app over `input` to its end; its seconds and this JVM's CPU ms meanwhile. Writes the counts when a file is given. */
    private static double[] run(Admin admin, String bootstrap, String input, String appId, Path countsFile) throws Exception {
        String output = appId + "-counts";
        Path stateDir = Files.createTempDirectory("rill-bench-streams-");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (KafkaStreams streams = new KafkaStreams(StreamsWordCount.topology(input, output), config(bootstrap, appId, stateDir))) {
            long cpuBefore = os.getProcessCpuTime();
            long start = System.nanoTime();
            streams.start();
            awaitCommittedToEnd(admin, appId, input);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuMs = (os.getProcessCpuTime() - cpuBefore) / 1e6;
            streams.close(Duration.ofSeconds(30));
            if (countsFile != null) writeCounts(bootstrap, output, countsFile);
            return new double[] {seconds, cpuMs};
        } finally {
            try (var files = Files.walk(stateDir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One stream thread, a 1 s commit interval (as the Rill side), at-least-once, the rest Kafka's defaults. */
    private static Properties config(String bootstrap, String appId, Path stateDir) {
        Properties p = StreamsWordCount.streamsConfig(bootstrap, appId, stateDir, 1000);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        return p;
    }

    /**
     * Waits until the app's group has committed every partition of the input to its end, then every partition of
     * its repartition topic to its end (its records were flushed before the input's commit, so that end is final).
     */
    private static void awaitCommittedToEnd(Admin admin, String appId, String input) throws Exception {
        long deadline = System.currentTimeMillis() + DEADLINE_MS;
        awaitTopicCommitted(admin, appId, input, deadline);
        // Named after the count's store ("counts"); matching by prefix would also find another app's whose id starts with this one's.
        String repartition = appId + "-counts-repartition";
        while (!admin.listTopics().names().get(20, TimeUnit.SECONDS).contains(repartition)) pause(deadline, "the repartition topic " + repartition);
        awaitTopicCommitted(admin, appId, repartition, deadline);
    }

    private static void awaitTopicCommitted(Admin admin, String appId, String topic, long deadline) throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        int count = admin.describeTopics(List.of(topic)).allTopicNames().get(20, TimeUnit.SECONDS).get(topic).partitions().size();
        for (int i = 0; i < count; i++) partitions.add(new TopicPartition(topic, i));
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartition tp : partitions) latest.put(tp, OffsetSpec.latest());
        var ends = admin.listOffsets(latest).all().get(20, TimeUnit.SECONDS);
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
            boolean done = true;
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                if (c == null || c.offset() < ends.get(tp).offset()) done = false;
            }
            if (done) return;
            pause(deadline, appId + " to commit " + topic + " to its end");
        }
    }

    private static void pause(long deadline, String what) throws InterruptedException {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("gave up waiting for " + what);
        Thread.sleep(50);
    }

    /** Reads the output topic from its start to its end (as it is now) and writes each word's latest count. */
    private static void writeCounts(String bootstrap, String output, Path file) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Long> latest = new HashMap<>();
        try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            c.partitionsFor(output).forEach(info -> partitions.add(new TopicPartition(output, info.partition())));
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = c.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + DEADLINE_MS;
            while (partitions.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("gave up reading " + output);
                for (ConsumerRecord<String, Long> r : c.poll(Duration.ofMillis(200))) latest.put(r.key(), r.value());
            }
        }
        StringBuilder out = new StringBuilder();
        latest.forEach((word, n) -> out.append(word).append('\t').append(n).append('\n'));
        Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
    }
}
