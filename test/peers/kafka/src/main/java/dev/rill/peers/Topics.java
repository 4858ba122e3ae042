package dev.rill.peers;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import static dev.rill.peers.CheckLine.expect;

/** Waiting for new topics to be usable. */
final class Topics {
    private Topics() {}

    /**
     * Until the leader of every partition of `topics` serves it: on a KRaft broker a new topic's metadata can
     * show a leader a moment before that broker hosts the partition (a produce then fails with
     * UNKNOWN_TOPIC_OR_PARTITION), and ListOffsets is answered by the partition's host.
     */
    static void awaitServed(Admin admin, List<String> topics, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (String t : topics) for (int p = 0; p < partitions; p++) latest.put(new TopicPartition(t, p), OffsetSpec.latest());
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            try {
                admin.listOffsets(latest).all().get(20, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                expect(System.currentTimeMillis() < deadline, "partitions not served: " + CheckLine.describe(e));
                Thread.sleep(100);
            }
        }
    }
}
