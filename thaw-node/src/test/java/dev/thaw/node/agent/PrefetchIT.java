package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A predicted prefetch lands in the cache before the invocation that uses it: real QEMU, a real S3
 * server over HTTP. One node boots the function and uploads its snapshot; the other, with {@code
 * --prefetch predicted} and a 2-second minute (a replay at 30 times real time), sees arrivals every
 * 5 s, each a remote restore (its cache entry is removed after each, as a cache under pressure
 * would evict it), until its predictor has five gaps; the snapshot is then fetched ahead, and the
 * next invocation restores it from the local cache.
 */
class PrefetchIT {
  private static final GuestImage IMAGE = GuestImage.ensure(System.out::println);
  private static final Revision HELLO = Revision.of("hello");
  private static final Duration GAP = Duration.ofSeconds(5);

  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  private <T extends AutoCloseable> T keep(T c) {
    open.push(c);
    return c;
  }

  @AfterEach
  void close() throws Exception {
    while (!open.isEmpty()) {
      open.pop().close();
    }
  }

  private record Node(NodeAgent agent, SnapshotNode snapshots, SimpleMeterRegistry meters) {}

  private Node node(Path dir, String name, RemoteSnapshotStore remote, boolean prefetch)
      throws Exception {
    Path data = dir.resolve(name);
    QemuVmm vmm = keep(QemuVmm.builder().image(IMAGE).workRoot(data.resolve("vms")).build());
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    SnapshotNode snapshots =
        keep(
            SnapshotNode.builder(vmm, IMAGE.digests(), data)
                .meters(meters)
                .manager(b -> b.mode(SnapshotMode.REMOTE).remote(remote))
                .build());
    NodeAgent.Builder b =
        NodeAgent.builder()
            .name(name)
            .manager(snapshots.manager())
            .keepAlive(Duration.ofSeconds(1))
            .meters(meters);
    if (prefetch) {
      b.prefetchPredicted(Duration.ofSeconds(2));
    }
    NodeAgent agent = keep(b.build());
    agent.deploy(HELLO, BuiltinFunctions.HELLO);
    return new Node(agent, snapshots, meters);
  }

  private static ColdStart.Source coldSource(Invocation i) {
    assertThat(i.status()).isEqualTo(200);
    return i.served().coldStart().orElseThrow().source();
  }

  @Test
  void aPredictedPrefetchLandsInTheCacheBeforeTheInvocationThatRestoresIt(@TempDir Path dir)
      throws Exception {
    EmbeddedS3Server s3 = keep(EmbeddedS3Server.start(dir.resolve("s3")));
    RemoteSnapshotStore remote =
        keep(
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder().server(s3).bucket("snapshots").build().ensureBucket())
                .build());
    Node maker = node(dir, "maker", remote, false);
    assertThat(coldSource(maker.agent().invoke(HELLO, "/"))).isEqualTo(ColdStart.Source.NONE);
    await()
        .atMost(Duration.ofMinutes(3))
        .until(() -> remote.revisions().stream().anyMatch(r -> r.startsWith("hello@")));
    maker.agent().close();

    Node node = node(dir, "predicting", remote, true);
    long start = System.nanoTime();
    for (int i = 0; i < 6; i++) {
      long wait = start + i * GAP.toNanos() - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
      Invocation inv = node.agent().invoke(HELLO, "/");
      assertThat(coldSource(inv)).as("arrival %d", i).isEqualTo(ColdStart.Source.REMOTE);
      node.agent().stopIdle(HELLO);
      assertThat(node.snapshots().cache().remove(HELLO.value())).isTrue();
    }
    assertThat(node.agent().prefetches()).isEqualTo(new PrefetchCounts(0, 0, 0));

    // Five gaps of 2.5 minutes: the next arrival is due 2 minutes (4 s) after the last.
    await().atMost(Duration.ofMinutes(2)).until(() -> node.agent().prefetches().made() == 1);
    assertThat(node.snapshots().cache().revisions()).containsExactly(HELLO.value());
    assertThat(node.agent().prefetches()).isEqualTo(new PrefetchCounts(1, 0, 0));
    assertThat(node.agent().instances()).isEmpty();
    long fetchesBefore = node.meters().timer("thaw.snapshot.fetch").count();

    Invocation predicted = node.agent().invoke(HELLO, "/");
    assertThat(coldSource(predicted)).isEqualTo(ColdStart.Source.LOCAL);
    assertThat(node.meters().timer("thaw.snapshot.fetch").count()).isEqualTo(fetchesBefore);
    assertThat(node.agent().prefetches()).isEqualTo(new PrefetchCounts(1, 1, 0));
    assertThat(
            node.meters().get("thaw.snapshot.prefetches").tag("outcome", "used").counter().count())
        .isEqualTo(1.0);
  }
}
