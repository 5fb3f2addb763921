package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.snapshot.make.Snapshotted;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot hooks: what passes and fails ({@link SnapshotHooks} against a local server), and
 * what a failure does to a snapshot and a cold start (the snapshot manager on a {@link FakeVmm}).
 * The hooks of a real function in a real guest are in {@code ContractIT}.
 */
class SnapshotHooksTest {
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));
  private static final FunctionSpec FN =
      FunctionSpec.ofImage(
          "fn",
          64,
          1,
          FunctionImage.of(
                  Path.of("/images/fn.img"), "sha256:" + "ab".repeat(32), List.of("/f"), 8080)
              .withHooks(new FunctionHooks("/prepare", "/renew")));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private final List<AutoCloseable> open = new ArrayList<>();
  private SnapshotNode node;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (node != null) {
      node.close();
    }
    assertThat(vmm.running()).as("VMs left running").isZero();
  }

  private SnapshotManager manager() throws Exception {
    node = SnapshotNode.builder(vmm, GUEST, dir).manager(b -> b.mode(SnapshotMode.LOCAL)).build();
    return node.manager();
  }

  private ColdStart start(SnapshotManager m) {
    ColdStart c = m.start(FN, Revision.of("r1"));
    open.add(c.vm());
    return c;
  }

  private Snapshotted bootAndSnapshot(SnapshotManager m) throws Exception {
    ColdStart first = start(m);
    assertThat(first).isInstanceOf(ColdStart.Booted.class);
    ((FakeVmm.FakeVm) first.vm()).write("invoked once");
    Snapshotted s = m.snapshotAfterFirstInvocation(first.vm(), FN, Revision.of("r1")).get();
    s.verifiedClone().ifPresent(open::add);
    return s;
  }

  /** A server on 127.0.0.1 whose every answer has {@code status}. */
  private MicroVm server(int status) throws Exception {
    return server(status, new CountDownLatch(0));
  }

  /** A server on 127.0.0.1 whose every answer has {@code status}, once {@code answer} is open. */
  private MicroVm server(int status, CountDownLatch answer) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try {
            answer.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    open.add(() -> server.stop(0));
    return new At(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
  }

  /** Just an endpoint: all a hook needs of a VM. */
  private record At(URI endpoint) implements MicroVm {
    @Override
    public String id() {
      return "at-" + endpoint.getPort();
    }

    @Override
    public dev.thaw.core.vmm.VmState state() {
      return dev.thaw.core.vmm.VmState.RUNNING;
    }

    @Override
    public void pause() {}

    @Override
    public void resume() {}

    @Override
    public dev.thaw.core.vmm.VmSnapshot snapshot(Path dir) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String consoleTail() {
      return "";
    }

    @Override
    public void close() {}
  }

  @Test
  @Timeout(30)
  void aHookPassesOn2xxWithinItsTimeoutAndFailsOtherwise() throws Exception {
    SnapshotHooks hooks = new SnapshotHooks(Duration.ofMillis(300), Duration.ofMillis(300));
    // The slow server answers only once its hook has given up (a hook that ignored its timeout
    // would wait here until the test's own timeout).
    CountDownLatch givenUp = new CountDownLatch(1);
    open.add(givenUp::countDown);
    try (MicroVm ok = server(204);
        MicroVm refusing = server(503);
        MicroVm slow = server(200, givenUp)) {
      assertThat(hooks.afterRestore(ok, FN)).isEmpty();
      assertThat(hooks.beforeSnapshot(ok, FN)).isEmpty();
      assertThat(hooks.afterRestore(refusing, FN))
          .map(SnapshotHooks.Failure::message)
          .hasValue("afterRestore hook GET /renew failed: answered HTTP 503");
      assertThat(hooks.beforeSnapshot(slow, FN))
          .map(SnapshotHooks.Failure::reason)
          .hasValue("no answer within 300 ms");
      givenUp.countDown();
      // A function without hooks is not asked anything: nothing listens here.
      FunctionSpec plain =
          FunctionSpec.ofImage("fn", 64, 1, FN.image().withHooks(FunctionHooks.NONE));
      MicroVm nobody = server(500);
      assertThat(hooks.afterRestore(nobody, plain)).isEmpty();
      assertThat(hooks.beforeSnapshot(nobody, plain)).isEmpty();
    }
  }

  @Test
  void everyCloneIsAskedAfterRestoreBeforeItsFirstRequest() throws Exception {
    SnapshotManager m = manager();
    Snapshotted s = bootAndSnapshot(m);
    assertThat(s.manifest()).isPresent();
    assertThat(vmm.lastRequest()).as("the verifying clone").startsWith("GET /renew ");
    ColdStart again = start(m);
    assertThat(again).isInstanceOf(ColdStart.Local.class);
    assertThat(vmm.lastRequest()).startsWith("GET /renew ");
  }

  @Test
  void aFailingBeforeSnapshotMeansNoSnapshotThisTime() throws Exception {
    SnapshotManager m = manager();
    vmm.failing.add("/prepare");
    Snapshotted s = bootAndSnapshot(m);
    assertThat(s.manifest()).isEmpty();
    assertThat(s.verifiedClone()).isEmpty();
    assertThat(node.cache().revisions()).isEmpty();
    assertThat(vmm.restores()).as("no clone was restored").isZero();
    assertThat(start(m)).isInstanceOf(ColdStart.Booted.class);
  }

  @Test
  void aSnapshotWhoseFirstCloneFailsAfterRestoreIsNotCommitted() throws Exception {
    SnapshotManager m = manager();
    vmm.failing.add("/renew");
    Snapshotted s = bootAndSnapshot(m);
    assertThat(s.manifest()).isEmpty();
    assertThat(s.verifiedClone()).isEmpty();
    assertThat(node.cache().revisions()).isEmpty();
  }

  @Test
  void aCloneFailingAfterRestoreIsStoppedAndTheColdStartBoots() throws Exception {
    SnapshotManager m = manager();
    bootAndSnapshot(m);
    vmm.failing.add("/renew");
    int running = vmm.running();

    ColdStart c = start(m);
    assertThat(c).isInstanceOf(ColdStart.Booted.class);
    assertThat(c.fallback())
        .hasValue("the clone was stopped: afterRestore hook GET /renew failed: answered HTTP 500");
    assertThat(vmm.running()).as("the booted VM only").isEqualTo(running + 1);
    assertThat(node.cache().revisions()).as("the snapshot stays").containsExactly("r1");

    vmm.failing.clear();
    assertThat(start(m)).isInstanceOf(ColdStart.Local.class);
    assertThat(Optional.of(vmm.restores())).hasValue(3);
  }
}
