package dev.rill.peers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import static dev.rill.peers.CheckLine.expect;

/**
 * The Java client's checks against one Kafka-protocol broker (`rill broker` or Apache Kafka), then Kafka's
 * command-line tools (ToolChecks) and a Kafka Streams word count (StreamsWordCount), all in one JVM because
 * a JVM start is slow. Usage: {@code ClientChecks <bootstrap> <name prefix>}. Each check prints one line
 * (CheckLine); a check that throws or whose expectation fails is not ok and the run goes on (later checks
 * that need its result fail with it). test/peers/java-client-suite.ts turns each line into one jest test.
 */
public final class ClientChecks {
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 3000;
    private static final long WAIT_SECONDS = 20;
    /** How long a consumer-group check may poll before it gives up. */
    private static final long GROUP_DEADLINE_MS = 45_000;

    private final String bootstrap;
    private final String topic;
    private final String classicGroup;
    private final String consumerProtocolGroup;
    private final Admin admin;
    private long producedAtMs;
    /** Records acked per partition by the idempotent producer. */
    private final Map<Integer, Long> acked = new TreeMap<>();

    private ClientChecks(String bootstrap, String prefix) {
        this.bootstrap = bootstrap;
        this.topic = prefix + "-orders";
        this.classicGroup = prefix + "-cooperative";
        this.consumerProtocolGroup = prefix + "-kip848";
        Properties p = common();
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        this.admin = Admin.create(p);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) throw new IllegalArgumentException("usage: ClientChecks <bootstrap> <prefix>");
        ClientChecks c = new ClientChecks(args[0], args[1]);
        try {
            CheckLine.run("admin-describe-cluster", c::describeCluster);
            CheckLine.run("admin-create-topic", c::createTopic);
            CheckLine.run("admin-describe-topic-id", c::describeTopicId);
            CheckLine.run("admin-describe-topic-configs", c::describeTopicConfigs);
            CheckLine.run("admin-describe-broker-configs", c::describeBrokerConfigs);
            CheckLine.run("idempotent-producer", c::idempotentProducer);
            CheckLine.run("admin-describe-log-dirs", c::describeLogDirs);
            CheckLine.run("admin-describe-producers", c::describeProducers);
            CheckLine.run("transactional-producer", c::transactionalProducer);
            CheckLine.run("admin-list-offsets", c::listOffsets);
            CheckLine.run("admin-list-offsets-by-timestamp", c::listOffsetsByTimestamp);
            CheckLine.run("admin-list-offsets-max-timestamp", c::listOffsetsMaxTimestamp);
            CheckLine.run("consumer-group-cooperative-sticky", c::cooperativeGroup);
            CheckLine.run("admin-list-groups", c::listGroups);
            CheckLine.run("admin-describe-groups", c::describeGroup);
            CheckLine.run("admin-list-group-offsets", c::groupOffsets);
            CheckLine.run("admin-delete-groups", c::deleteGroup);
            CheckLine.run("consumer-group-protocol-consumer", c::consumerProtocolGroup);
            CheckLine.run("admin-delete-topic", c::deleteTopic);
            new ToolChecks(args[0], args[1]).runAll();
            CheckLine.run("kafka-streams-word-count", new StreamsWordCount(args[0], args[1], false)::run);
            CheckLine.run("kafka-streams-word-count-exactly-once", new StreamsWordCount(args[0], args[1], true)::run);
        } finally {
            c.admin.close(Duration.ofSeconds(5));
        }
        System.out.flush();
        // Clients' background threads must not keep the JVM alive past the checks.
        System.exit(0);
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private Properties common() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "rill-peer-checks");
        return p;
    }

    // ---- admin: cluster, topics, configs ----

    private String describeCluster() throws Exception {
        DescribeClusterResult r = admin.describeCluster();
        Collection<org.apache.kafka.common.Node> nodes = await(r.nodes());
        String clusterId = await(r.clusterId());
        expect(!nodes.isEmpty(), "no nodes");
        expect(clusterId != null && !clusterId.isEmpty(), "no cluster id");
        return "nodes " + nodes.size() + ", cluster " + clusterId;
    }

    private String createTopic() throws Exception {
        NewTopic t = new NewTopic(topic, PARTITIONS, (short) 1).configs(Map.of("retention.ms", "3600000", "cleanup.policy", "delete"));
        await(admin.createTopics(List.of(t)).all());
        Topics.awaitServed(admin, List.of(topic), PARTITIONS);
        TopicDescription d = await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        expect(d.partitions().size() == PARTITIONS, "partitions " + d.partitions().size());
        for (TopicPartitionInfo p : d.partitions()) {
            expect(p.leader() != null, "partition " + p.partition() + " has no leader");
            expect(p.replicas().size() == 1 && p.isr().size() == 1, "partition " + p.partition() + " replicas " + p.replicas() + " isr " + p.isr());
        }
        return "created " + topic + " with " + PARTITIONS + " partitions";
    }

    /** Since Kafka 2.8 every topic has an id (KIP-516), returned by CreateTopics and Metadata. */
    private String describeTopicId() throws Exception {
        TopicDescription d = await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        expect(d.topicId() != null && !d.topicId().equals(Uuid.ZERO_UUID), "topic id " + d.topicId());
        TopicDescription byId = await(admin.describeTopics(TopicCollection.ofTopicIds(List.of(d.topicId()))).allTopicIds()).get(d.topicId());
        expect(topic.equals(byId.name()), "described by id: " + byId.name());
        return "id " + d.topicId();
    }

    private String describeTopicConfigs() throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = await(admin.describeConfigs(List.of(r)).all()).get(r);
        ConfigEntry retention = config.get("retention.ms");
        expect(retention != null, "no retention.ms entry");
        expect("3600000".equals(retention.value()), "retention.ms " + retention.value());
        expect(retention.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "retention.ms source " + retention.source());
        ConfigEntry segment = config.get("segment.bytes");
        expect(segment != null && segment.value() != null, "no segment.bytes default");
        return config.entries().size() + " entries";
    }

    private String describeBrokerConfigs() throws Exception {
        String nodeId = String.valueOf(await(admin.describeCluster().nodes()).iterator().next().id());
        ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, nodeId);
        Config config = await(admin.describeConfigs(List.of(r)).all()).get(r);
        expect(!config.entries().isEmpty(), "no entries");
        return config.entries().size() + " entries for broker " + nodeId;
    }

    // ---- the idempotent producer and list offsets ----

    private String idempotentProducer() throws Exception {
        Properties p = common();
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "4096");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producedAtMs = System.currentTimeMillis();
        Map<Integer, List<Long>> offsets = new TreeMap<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) sent.add(producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)));
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                RecordMetadata m = await(f);
                offsets.computeIfAbsent(m.partition(), k -> new ArrayList<>()).add(m.offset());
            }
        }
        // Idempotence: each partition's acked offsets are exactly 0..n-1, in send order (no duplicate, no gap).
        for (Map.Entry<Integer, List<Long>> e : offsets.entrySet()) {
            List<Long> got = e.getValue();
            for (int i = 0; i < got.size(); i++) expect(got.get(i) == i, "partition " + e.getKey() + " record " + i + " acked at offset " + got.get(i));
            acked.put(e.getKey(), (long) got.size());
        }
        expect(offsets.size() == PARTITIONS, "records went to " + offsets.size() + " partitions");
        return "acked " + acked;
    }

    /** DescribeLogDirs (KIP-113, what kafka-log-dirs shows): the broker's log dirs hold the topic's partitions. */
    private String describeLogDirs() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        int nodeId = await(admin.describeCluster().nodes()).iterator().next().id();
        Map<String, LogDirDescription> dirs = await(admin.describeLogDirs(List.of(nodeId)).allDescriptions()).get(nodeId);
        expect(dirs != null && !dirs.isEmpty(), "no log dirs");
        long bytes = 0;
        int partitions = 0;
        for (LogDirDescription d : dirs.values()) {
            for (Map.Entry<TopicPartition, ReplicaInfo> r : d.replicaInfos().entrySet()) {
                if (!r.getKey().topic().equals(topic)) continue;
                partitions++;
                bytes += r.getValue().size();
            }
        }
        expect(partitions == PARTITIONS && bytes > 0, "the topic's replicas in the log dirs: " + partitions + " partitions, " + bytes + " bytes");
        return dirs.size() + " log dirs, " + bytes + " bytes of " + topic;
    }

    /** DescribeProducers (KIP-664, kafka-transactions describe-producers): the idempotent producer's state on partition 0. */
    private String describeProducers() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        TopicPartition tp = new TopicPartition(topic, 0);
        List<ProducerState> producers = await(admin.describeProducers(List.of(tp)).partitionResult(tp)).activeProducers();
        expect(producers.size() == 1, "active producers " + producers);
        ProducerState p = producers.get(0);
        expect(p.producerId() >= 0 && p.lastSequence() == acked.get(0) - 1, "producer " + p + ", acked " + acked.get(0));
        return "producer " + p.producerId() + " last sequence " + p.lastSequence();
    }

    /**
     * A transactional producer (KIP-98): one committed and one aborted transaction on a topic of its own; a
     * read_committed consumer sees the committed records only.
     */
    private String transactionalProducer() throws Exception {
        String txnTopic = topic + "-txn";
        await(admin.createTopics(List.of(new NewTopic(txnTopic, 1, (short) 1))).all());
        Topics.awaitServed(admin, List.of(txnTopic), 1);
        Properties p = common();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnTopic + "-producer");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(txnTopic, "committed-" + i));
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(txnTopic, "aborted-" + i));
            producer.abortTransaction();
        }
        Properties c = consumerProps(txnTopic + "-reader", "classic");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Set<String> seen = new TreeSet<>();
        long deadline = System.currentTimeMillis() + WAIT_SECONDS * 1000;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(new TopicPartition(txnTopic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(txnTopic, 0)));
            // Read to the end (for read_committed, the last stable offset: past both transactions' markers).
            TopicPartition tp = new TopicPartition(txnTopic, 0);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                expect(System.currentTimeMillis() < deadline, "read " + seen + ", at " + consumer.position(tp) + " of " + end);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) seen.add(r.value());
            }
        }
        expect(seen.size() == 10 && seen.stream().allMatch(v -> v.startsWith("committed-")), "read_committed saw " + seen);
        return "committed 10 read, aborted 10 not";
    }

    private Map<TopicPartition, ListOffsetsResultInfo> listOffsets(OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) request.put(new TopicPartition(topic, p), spec);
        return await(admin.listOffsets(request).all());
    }

    private String listOffsets() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        Map<TopicPartition, ListOffsetsResultInfo> earliest = listOffsets(OffsetSpec.earliest());
        Map<TopicPartition, ListOffsetsResultInfo> latest = listOffsets(OffsetSpec.latest());
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            expect(earliest.get(tp).offset() == 0, tp + " earliest " + earliest.get(tp).offset());
            expect(latest.get(tp).offset() == acked.get(p), tp + " latest " + latest.get(tp).offset() + ", acked " + acked.get(p));
        }
        return "earliest 0, latest = acked";
    }

    private String listOffsetsByTimestamp() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        Map<TopicPartition, ListOffsetsResultInfo> first = listOffsets(OffsetSpec.forTimestamp(producedAtMs - 1000));
        for (Map.Entry<TopicPartition, ListOffsetsResultInfo> e : first.entrySet())
            expect(e.getValue().offset() == 0, e.getKey() + " offset for a time before every record: " + e.getValue().offset());
        Map<TopicPartition, ListOffsetsResultInfo> none = listOffsets(OffsetSpec.forTimestamp(System.currentTimeMillis() + 3_600_000));
        for (Map.Entry<TopicPartition, ListOffsetsResultInfo> e : none.entrySet())
            expect(e.getValue().offset() == -1, e.getKey() + " offset for a time after every record: " + e.getValue().offset());
        return "before all: 0, after all: -1";
    }

    private String listOffsetsMaxTimestamp() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        Map<TopicPartition, ListOffsetsResultInfo> max = listOffsets(OffsetSpec.maxTimestamp());
        for (Map.Entry<TopicPartition, ListOffsetsResultInfo> e : max.entrySet()) {
            long end = acked.get(e.getKey().partition());
            ListOffsetsResultInfo info = e.getValue();
            expect(info.offset() >= 0 && info.offset() < end, e.getKey() + " max-timestamp offset " + info.offset() + " of " + end);
            expect(info.timestamp() >= producedAtMs, e.getKey() + " max timestamp " + info.timestamp() + " before the produce started at " + producedAtMs);
        }
        return "every partition's max timestamp is a produced record's";
    }

    // ---- consumer groups ----

    private Properties consumerProps(String group, String protocol) {
        Properties p = common();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        if (protocol.equals("classic")) {
            p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        }
        return p;
    }

    /** A consumer that remembers what it was given and what it gave back. */
    private static final class Member implements ConsumerRebalanceListener {
        final KafkaConsumer<String, String> consumer;
        final Set<TopicPartition> owned = new HashSet<>();
        final List<Set<TopicPartition>> revocations = new ArrayList<>();

        Member(Properties p, String topic) {
            consumer = new KafkaConsumer<>(p);
            consumer.subscribe(List.of(topic), this);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) revocations.add(new HashSet<>(partitions));
            owned.removeAll(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            owned.addAll(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            owned.removeAll(partitions);
        }

        /**
         * One short poll, its records' values into `seen`, then a synchronous commit of what this member owns;
         * false when the commit met a rebalance in progress (the next poll completes the rebalance, and the
         * commit is tried again then, as the client's error message says to do).
         */
        boolean pollInto(Set<String> seen) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) seen.add(r.value());
            try {
                consumer.commitSync();
                return true;
            } catch (RebalanceInProgressException e) {
                return false;
            }
        }
    }

    private Member first;
    private Member second;

    /**
     * Two consumers with the cooperative-sticky assignor in one group: the first takes all partitions, the
     * second joins, and the rebalance moves some of the first's partitions without revoking the rest
     * (incremental cooperative rebalancing). Together they read every record once committed.
     */
    private String cooperativeGroup() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        Set<String> seen = new HashSet<>();
        long deadline = System.currentTimeMillis() + GROUP_DEADLINE_MS;
        first = new Member(consumerProps(classicGroup, "classic"), topic);
        while (first.owned.size() < PARTITIONS) {
            expect(System.currentTimeMillis() < deadline, "the first member never got all partitions: " + first.owned);
            first.pollInto(seen);
        }
        second = new Member(consumerProps(classicGroup, "classic"), topic);
        while (second.owned.isEmpty() || first.owned.size() + second.owned.size() < PARTITIONS || seen.size() < RECORDS) {
            expect(System.currentTimeMillis() < deadline, "after the second joined: first " + first.owned + ", second " + second.owned + ", read " + seen.size() + " of " + RECORDS);
            first.pollInto(seen);
            second.pollInto(seen);
        }
        // Until a round in which both members commit with no rebalance in progress: the group is stable.
        while (!(first.pollInto(seen) & second.pollInto(seen)))
            expect(System.currentTimeMillis() < deadline, "the group did not settle: first " + first.owned + ", second " + second.owned);
        Set<TopicPartition> overlap = new HashSet<>(first.owned);
        overlap.retainAll(second.owned);
        expect(overlap.isEmpty(), "both members own " + overlap);
        expect(!first.owned.isEmpty(), "the first member kept nothing");
        // Cooperative: the first member never gave up everything at once.
        for (Set<TopicPartition> revoked : first.revocations)
            expect(revoked.size() < PARTITIONS, "the first member had all its partitions revoked: " + revoked);
        return "first " + first.owned.size() + ", second " + second.owned.size() + ", read " + seen.size();
    }

    /** The KIP-848 consumer group protocol (ConsumerGroupHeartbeat), the default of Kafka 4's brokers. */
    private String consumerProtocolGroup() throws Exception {
        expect(acked.size() == PARTITIONS, "nothing was produced");
        Set<String> seen = new HashSet<>();
        long deadline = System.currentTimeMillis() + GROUP_DEADLINE_MS;
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerProps(consumerProtocolGroup, "consumer"))) {
            c.subscribe(List.of(topic));
            while (seen.size() < RECORDS) {
                expect(System.currentTimeMillis() < deadline, "read " + seen.size() + " of " + RECORDS);
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) seen.add(r.value());
            }
            c.commitSync();
        }
        return "read " + seen.size();
    }

    // ---- admin: groups (while the cooperative group's two members still run) ----

    private String listGroups() throws Exception {
        Set<String> groups = await(admin.listGroups().all()).stream().map(GroupListing::groupId).collect(Collectors.toSet());
        expect(groups.contains(classicGroup), "listGroups lacks " + classicGroup + ": " + groups);
        return groups.size() + " groups";
    }

    private String describeGroup() throws Exception {
        expect(first != null && second != null, "the group's members are not running");
        // A cooperative rebalance takes two rounds, and the members finish one in their polls: poll until stable.
        long deadline = System.currentTimeMillis() + WAIT_SECONDS * 1000;
        ConsumerGroupDescription d;
        while ((d = await(admin.describeConsumerGroups(List.of(classicGroup)).all()).get(classicGroup)).groupState() != GroupState.STABLE) {
            expect(System.currentTimeMillis() < deadline, "state " + d.groupState());
            first.pollInto(new HashSet<>());
            second.pollInto(new HashSet<>());
        }
        expect(d.members().size() == 2, "members " + d.members().size());
        expect("cooperative-sticky".equals(d.partitionAssignor()), "assignor " + d.partitionAssignor());
        Set<TopicPartition> assigned = new HashSet<>();
        for (MemberDescription m : d.members()) assigned.addAll(m.assignment().topicPartitions());
        expect(assigned.size() == PARTITIONS, "members' assignments " + assigned);
        return "stable, 2 members, " + assigned.size() + " partitions assigned";
    }

    private String groupOffsets() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = await(admin.listConsumerGroupOffsets(classicGroup).partitionsToOffsetAndMetadata());
        long total = committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
        expect(total == RECORDS, "committed offsets add up to " + total + ": " + committed);
        return "committed " + total;
    }

    /** The members leave, then the empty group is deleted and no longer listed. */
    private String deleteGroup() throws Exception {
        for (Member m : new Member[] {first, second}) if (m != null) m.consumer.close(Duration.ofSeconds(5));
        first = null;
        second = null;
        await(admin.deleteConsumerGroups(List.of(classicGroup)).all());
        Set<String> left = await(admin.listGroups().all()).stream().map(GroupListing::groupId).collect(Collectors.toSet());
        expect(!left.contains(classicGroup), "still listed after delete: " + left);
        return "deleted " + classicGroup;
    }

    private String deleteTopic() throws Exception {
        await(admin.deleteTopics(List.of(topic)).all());
        long deadline = System.currentTimeMillis() + WAIT_SECONDS * 1000;
        while (await(admin.listTopics().names()).contains(topic)) {
            expect(System.currentTimeMillis() < deadline, "still listed after delete");
            Thread.sleep(100);
        }
        try {
            await(admin.describeTopics(List.of(topic)).allTopicNames());
            throw new AssertionError("describe of a deleted topic succeeded");
        } catch (java.util.concurrent.ExecutionException e) {
            expect(e.getCause() instanceof UnknownTopicOrPartitionException, "describe of a deleted topic: " + CheckLine.describe(e.getCause()));
        }
        return "deleted " + topic;
    }
}
