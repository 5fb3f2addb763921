package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.RestoreDeadline;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.make.Snapshotted;
import dev.thaw.qemu.QemuVmm;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead snapshots, made on purpose: a guest told to stop listening ({@code /_thaw/mute}) is
 * snapshotted, so its clones resume fine but never answer. Real QEMU, a real S3 server over HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeadSnapshotIT {
  private static final FunctionSpec HELLO = BuiltinFunctions.HELLO;
  private static final Duration DEADLINE = Duration.ofSeconds(3);

  private Path dir;
  private EmbeddedS3Server server;
  private RemoteSnapshotStore store;
  private final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private final List<DeadSnapshot> found = new CopyOnWriteArrayList<>();

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    server = EmbeddedS3Server.start(dir.resolve("s3"));
    store =
        RemoteSnapshotStore.builder(
                S3ObjectStore.builder().server(server).bucket("snapshots").build().ensureBucket())
            .build();
  }

  @AfterAll
  void stop() throws Exception {
    store.close();
    server.close();
  }

  private Node node(String name, SnapshotMode mode) throws Exception {
    return new Node(
        dir,
        name,
        mode,
        store,
        true,
        ads,
        b ->
            b.restoreDeadline(RestoreDeadline.builder().floor(DEADLINE).ceiling(DEADLINE).build())
                .onDeadSnapshot(found::add));
  }

  /**
   * A dead snapshot as another node or an older version might have uploaded it, bypassing the
   * verification a node does now: boot, mute, snapshot, upload.
   */
  private SnapshotManifest uploadDeadSnapshot(String revision) throws Exception {
    QemuVmm vmm = QemuVmm.builder().image(Node.IMAGE).workRoot(dir.resolve("maker-vms")).build();
    Path files = Files.createDirectories(dir.resolve("made-" + revision));
    MicroVm vm = vmm.boot(HELLO, Duration.ofSeconds(120));
    assertThat(QemuVmm.control(vm, "/_thaw/mute", client).body()).contains("\"muted\":true");
    vm.pause();
    VmSnapshot snapshot = vm.snapshot(files);
    SnapshotManifest manifest =
        new SnapshotManifest(
            SnapshotManifest.FORMAT_VERSION,
            revision,
            HELLO,
            vmm.identity(),
            Node.GUEST,
            Instant.now(),
            List.of(
                describe(snapshot.memoryFile(), SnapshotFile.Role.MEMORY),
                describe(snapshot.stateFile(), SnapshotFile.Role.STATE)));
    Node.view(store).upload(manifest, files);
    return manifest;
  }

  private static SnapshotFile describe(Path file, SnapshotFile.Role role) throws Exception {
    return SnapshotFile.chunked(
        file.getFileName().toString(),
        role,
        Files.size(file),
        Chunker.describe(file, SnapshotManager.DEFAULT_CHUNK_SIZE));
  }

  @Test
  void aDeadSnapshotCostsTheShortDeadlineOnceAndOtherNodesNeverFetchIt() throws Exception {
    String revision = "hello-dead";
    SnapshotManifest dead = uploadDeadSnapshot(revision);
    try (Node a = node("a", SnapshotMode.REMOTE);
        Node b = node("b", SnapshotMode.REMOTE)) {
      ColdStart first = a.manager.start(HELLO, Revision.of(revision));
      try (MicroVm vm = first.vm()) {
        assertThat(first.source()).isEqualTo(ColdStart.Source.NONE);
        // The short deadline gave up on the clone, not the two-minute boot timeout: its reason.
        assertThat(first.fallback())
            .hasValueSatisfying(
                why ->
                    assertThat(why)
                        .contains("did not answer within 3000 ms")
                        .contains("dropped from the cache")
                        .contains("marked unusable"));
        assertThat(client.get(vm.endpoint(), "/").status()).isEqualTo(200);
      }
      assertThat(a.cache.revisions()).doesNotContain(revision);
      assertThat(found)
          .filteredOn(d -> d.revision().equals(revision))
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.phase()).isEqualTo(DeadSnapshot.Phase.RESTORE);
                assertThat(d.createdAt()).isEqualTo(dead.createdAt());
                assertThat(d.failure().vmmMessage()).contains("QMP state at the deadline");
              });
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> Node.view(store).unusable(revision),
              m -> m.equals(Optional.of(dead.createdAt())));

      // The same node does not try it again: no fetch, no fallback, straight to a boot.
      ColdStart second = a.manager.start(HELLO, Revision.of(revision));
      second.vm().close();
      assertThat(second.source()).isEqualTo(ColdStart.Source.NONE);
      assertThat(second.fallback()).isEmpty();
      assertThat(a.fetches()).isEqualTo(1);

      // Another node reads the mark and does not fetch it either.
      ColdStart other = b.manager.start(HELLO, Revision.of(revision));
      assertThat(other.source()).isEqualTo(ColdStart.Source.NONE);
      assertThat(other.fallback()).isEmpty();
      assertThat(b.fetches()).isZero();
      assertThat(found).filteredOn(d -> d.revision().equals(revision)).hasSize(1);

      // A fresh snapshot of the revision replaces the dead one: b makes it, a restores it.
      client.get(other.vm().endpoint(), "/");
      Snapshotted fresh =
          b.manager.snapshotAfterFirstInvocation(other.vm(), HELLO, Revision.of(revision)).get();
      fresh.verifiedClone().orElseThrow().close();
      assertThat(fresh.manifest().orElseThrow().createdAt()).isNotEqualTo(dead.createdAt());
      try (Node c = node("c", SnapshotMode.REMOTE)) {
        ColdStart restored = c.manager.start(HELLO, Revision.of(revision));
        try (MicroVm vm = restored.vm()) {
          assertThat(restored.source()).isEqualTo(ColdStart.Source.REMOTE);
          assertThat(client.get(vm.endpoint(), "/").status()).isEqualTo(200);
        }
      }
    }
  }

  /**
   * The deadline counts the time a clone could run, so that a starved machine does not condemn a
   * sound snapshot; a dead clone, though, sleeps in its idle loop rather than waiting for a CPU,
   * and is still condemned when every core is busy with other work (threads spinning beside it).
   */
  @Test
  void aDeadSnapshotIsStillCondemnedWhileOtherWorkTakesEveryCore() throws Exception {
    String revision = "hello-dead-busy";
    SnapshotManifest dead = uploadDeadSnapshot(revision);
    try (Node a = node("busy", SnapshotMode.REMOTE);
        Spinners others =
            new Spinners(
                Runtime.getRuntime().availableProcessors() * 2,
                // Until the verdict: the boot that follows it gets the machine back.
                () -> found.stream().anyMatch(d -> d.revision().equals(revision)))) {
      ColdStart first = a.manager.start(HELLO, Revision.of(revision));
      first.vm().close();
      assertThat(others.spunUntilDone()).as("the cores stayed busy until the verdict").isTrue();
      assertThat(first.source()).isEqualTo(ColdStart.Source.NONE);
      assertThat(first.fallback())
          .hasValueSatisfying(why -> assertThat(why).startsWith("snapshot dead"));
      assertThat(found)
          .filteredOn(d -> d.revision().equals(revision))
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.createdAt()).isEqualTo(dead.createdAt());
                // It ran its deadline: what it waited for a CPU was given back, and it still slept.
                assertThat(d.failure().waited())
                    .hasValueSatisfying(
                        w -> assertThat(w.running()).isGreaterThanOrEqualTo(DEADLINE));
              });
    }
  }

  /**
   * Threads that keep every core busy until {@code done} holds or they are closed: another tenant's
   * work on the machine.
   */
  private static final class Spinners implements AutoCloseable {
    private final java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    private final List<Thread> threads = new java.util.ArrayList<>();

    private final Thread watcher;
    private volatile boolean done;

    Spinners(int count, java.util.function.BooleanSupplier until) {
      watcher =
          new Thread(
              () -> {
                while (!stop.get()) {
                  if (until.getAsBoolean()) {
                    done = true;
                    stop.set(true);
                    return;
                  }
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "spinners-watcher");
      watcher.setDaemon(true);
      watcher.start();
      for (int i = 0; i < count; i++) {
        Thread t =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    Thread.onSpinWait();
                  }
                },
                "spinner-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    /** Whether they spun until {@code done} held (not stopped by a close before it). */
    boolean spunUntilDone() {
      return done;
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      watcher.join();
      for (Thread t : threads) {
        t.join();
      }
    }
  }

  @Test
  void aNodeNeverCommitsNorUploadsASnapshotWhoseFirstCloneDoesNotAnswer() throws Exception {
    String revision = "hello-muted";
    try (Node n = node("agent", SnapshotMode.REMOTE)) {
      // The first instance stops listening before its snapshot (what the agent may ask of it).
      ColdStart booted = n.manager.start(HELLO, Revision.of(revision));
      assertThat(booted.source()).isEqualTo(ColdStart.Source.NONE);
      assertThat(QemuVmm.control(booted.vm(), "/_thaw/mute", client).body())
          .contains("\"muted\":true");
      Snapshotted snapshotted =
          n.manager.snapshotAfterFirstInvocation(booted.vm(), HELLO, Revision.of(revision)).get();
      // The snapshot is verified, found dead, dropped.
      assertThat(snapshotted.manifest()).isEmpty();
      snapshotted.verifiedClone().ifPresent(MicroVm::close);
      assertThat(found)
          .filteredOn(d -> d.revision().equals(revision))
          .singleElement()
          .satisfies(d -> assertThat(d.phase()).isEqualTo(DeadSnapshot.Phase.VERIFY));
      assertThat(n.cache.revisions()).doesNotContain(revision);
      assertThat(Node.view(store).manifest(revision)).isEmpty();
      assertThat(n.meters.counter("thaw.snapshot.commits").count()).isZero();
      // The next cold start has nothing to restore: it boots, and answers.
      try (NodeAgent agent = NodeAgent.builder().name("agent").manager(n.manager).build()) {
        agent.deploy(Revision.of(revision), HELLO);
        assertThat(agent.invoke(Revision.of(revision), "/").status()).isEqualTo(200);
      }
    }
  }
}
