package dev.thaw.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.snapshot.SnapshotNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile or careless client found against the agent and the gateway, each refused cleanly
 * with nothing leaked; and bursts buffered by the gateway's queue. Real HTTP on 127.0.0.1, a {@link
 * FakeVmm} under the agent.
 */
class HostileRequestsTest {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final FunctionSpec FN = new FunctionSpec("fn", 64, 1, "hello", 0);
  private static final FunctionSpec OTHER = new FunctionSpec("other", 64, 1, "hello", 0);
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private final HttpClient http = HttpClient.newHttpClient();
  private SnapshotNode node;
  private NodeAgent agent;
  private AgentServer server;

  private URI start(int maxInstances) throws Exception {
    node = SnapshotNode.builder(vmm, GUEST, dir).manager(b -> b.mode(SnapshotMode.LOCAL)).build();
    agent =
        NodeAgent.builder()
            .name("n1")
            .manager(node.manager())
            .maxInstances(maxInstances)
            .memoryBytes(1L << 30)
            .build();
    agent.deploy(Revision.of("fn-1"), FN);
    agent.deploy(Revision.of("other-1"), OTHER);
    server = AgentServer.builder(agent, TOKEN).snapshots(node.cache()::revisions).start();
    return server.uri();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
      agent.close();
      node.close();
    }
    assertThat(vmm.running()).as("VMs left running").isZero();
  }

  private HttpResponse<String> send(String method, String target, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(server.uri().resolve(target))
            .header("Authorization", TOKEN.authorization())
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until the node holds an instance and none is busy (snapshotting included). */
  private void awaitNothingBusy() {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !agent.instances().isEmpty()
                    && agent.activeInstances() == agent.instances().size()
                    && agent.instances().stream().noneMatch(InstanceInfo::busy));
  }

  @Test
  void anInvocationPathCannotMakeTheAgentFetchAnotherHost() throws Exception {
    start(2);
    AtomicInteger fetched = new AtomicInteger();
    HttpServer victim = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    victim.createContext(
        "/",
        e -> {
          fetched.incrementAndGet();
          e.sendResponseHeaders(200, -1);
          e.close();
        });
    victim.start();
    try {
      int port = victim.getAddress().getPort();
      HttpResponse<String> r =
          send("POST", "/functions/fn-1/invoke?path=%2F%2F127.0.0.1%3A" + port + "%2Fsecret", "");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("names no host");
      assertThat(fetched).hasValue(0);
      assertThat(agent.instances()).as("no instance was taken for it").isEmpty();
    } finally {
      victim.stop(0);
    }
  }

  @Test
  void oddPathsAreEncodedOrRefused_andNoInstanceStaysBusy() throws Exception {
    start(1);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> spaced = send("POST", "/functions/fn-1/invoke?path=%2Fa%20b", "");
      assertThat(spaced.statusCode()).as("a space is encoded for the guest").isEqualTo(200);
      HttpResponse<String> control = send("POST", "/functions/fn-1/invoke?path=%2Fa%0Db", "");
      assertThat(control.statusCode()).isEqualTo(400);
      assertThat(control.body()).contains("control characters");
      awaitNothingBusy();
    }
    assertThat(send("POST", "/functions/fn-1/invoke", "").statusCode()).isEqualTo(200);
  }

  @Test
  void anInstanceWhoseGuestFailsIsStoppedNotLeaked() throws Exception {
    start(1);
    assertThat(send("POST", "/functions/fn-1/invoke", "").statusCode()).isEqualTo(200);
    awaitNothingBusy();
    // The warm instance's guest dies under it.
    agent.instances().forEach(i -> vmm.kill(URI.create(i.endpoint())));
    HttpResponse<String> failed = send("POST", "/functions/fn-1/invoke", "");
    assertThat(failed.statusCode()).isEqualTo(502);
    assertThat(agent.activeInstances()).as("the failed instance gave its slot back").isZero();
    assertThat(send("POST", "/functions/fn-1/invoke", "").statusCode()).isEqualTo(200);
  }

  @Test
  void malformedDeploysAreRefusedWithTheReason() throws Exception {
    start(1);
    HttpResponse<String> nullBody = send("PUT", "/functions/x", "null");
    assertThat(nullBody.statusCode()).isEqualTo(400);
    assertThat(nullBody.body()).contains("must be a function spec");

    HttpResponse<String> longName =
        send("PUT", "/functions/" + "a".repeat(300), "{\"id\":\"fn\",\"memoryMib\":64}");
    assertThat(longName.statusCode()).isEqualTo(400);
    assertThat(longName.body()).contains("1 to 128 characters, not 300");

    HttpResponse<String> huge =
        send(
            "PUT",
            "/functions/huge",
            "{\"id\":\"huge\",\"memoryMib\":65536,\"vcpus\":1,\"handler\":\"hello\",\"initMib\":0}");
    assertThat(huge.statusCode()).isEqualTo(400);
    assertThat(huge.body()).contains("needs 65536 MiB of memory; node n1 has 1024 MiB");
    assertThat(agent.functions()).containsOnlyKeys("fn-1", "other-1");
  }

  @Test
  void aDeployCannotNameAHostFileAsAGuestsDisk() throws Exception {
    start(1);
    java.nio.file.Path outside = java.nio.file.Files.writeString(dir.resolve("secret"), "s3cr3t");
    for (String rootfs : List.of("/etc/shadow", outside.toString())) {
      String spec =
          AgentClient.JSON.writeValueAsString(
              FunctionSpec.ofImage(
                  "evil",
                  64,
                  1,
                  dev.thaw.core.function.FunctionImage.of(
                      java.nio.file.Path.of(rootfs),
                      "sha256:" + "ab".repeat(32),
                      List.of("x"),
                      80)));
      HttpResponse<String> r = send("PUT", "/functions/evil", spec);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(r.body()).contains("ImageDeployment").contains("not accepted over HTTP");
      try (Gateway gateway = Gateway.builder().token(TOKEN).node("n1", server.uri()).build()) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () ->
                    gateway.deployEverywhere(
                        Revision.of("evil"),
                        AgentClient.JSON.readValue(spec, FunctionSpec.class),
                        Duration.ofSeconds(5)))
            .isInstanceOfSatisfying(
                Refused.class, e -> assertThat(e.kind()).isEqualTo(Refused.Kind.INVALID));
      }
    }
    assertThat(agent.functions()).containsOnlyKeys("fn-1", "other-1");
    assertThat(send("POST", "/functions/evil/invoke", "").statusCode()).isEqualTo(404);
    assertThat(vmm.boots() + vmm.restores()).isZero();
  }

  @Test
  void aFullNodeMakesRoomFromIdleInstancesAndRefusesOnlyWhenAllAreBusy() throws Exception {
    start(1);
    assertThat(send("POST", "/functions/fn-1/invoke", "").statusCode()).isEqualTo(200);
    awaitNothingBusy();
    // The only slot holds fn-1's idle clone: other-1 takes its place.
    HttpResponse<String> other = send("POST", "/functions/other-1/invoke", "");
    assertThat(other.statusCode()).isEqualTo(200);
    assertThat(other.headers().firstValue("X-Thaw-Start")).contains("cold");
    awaitNothingBusy();
    assertThat(agent.instances()).extracting(InstanceInfo::revision).containsOnly("other-1");

    CompletableFuture<HttpResponse<String>> busy =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return send("POST", "/functions/other-1/invoke?path=%2F%3Fms%3D1000", "");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await().until(() -> agent.instances().stream().anyMatch(InstanceInfo::busy));
    HttpResponse<String> full = send("POST", "/functions/fn-1/invoke", "");
    assertThat(full.statusCode()).isEqualTo(503);
    assertThat(full.body()).contains("at capacity").contains("all busy");
    assertThat(busy.get().statusCode()).isEqualTo(200);
  }

  @Test
  void theGatewayQueuesABurstInsteadOfRefusingIt() throws Exception {
    start(4);
    try (Gateway gateway =
        Gateway.builder()
            .token(TOKEN)
            .node("n1", server.uri())
            .scorer(PlacementScorer.named("default"))
            .healthInterval(Duration.ofMillis(100))
            .build()) {
      List<CompletableFuture<Gateway.Result>> burst = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        burst.add(
            CompletableFuture.supplyAsync(() -> gateway.invoke(Revision.of("fn-1"), "/?ms=200")));
      }
      for (CompletableFuture<Gateway.Result> f : burst) {
        assertThat(f.get().status()).isEqualTo(200);
      }
    }
  }

  @Test
  void theQueueIsBoundedInLengthAndTime() throws Exception {
    start(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Gateway gateway =
        Gateway.builder()
            .token(TOKEN)
            .node("n1", server.uri())
            .scorer(PlacementScorer.named("default"))
            .queueLength(2)
            .queueTimeout(Duration.ofMillis(400))
            .meters(meters)
            .build()) {
      CompletableFuture<Gateway.Result> holder =
          CompletableFuture.supplyAsync(() -> gateway.invoke(Revision.of("fn-1"), "/?ms=2000"));
      await().until(() -> agent.instances().stream().anyMatch(InstanceInfo::busy));
      List<CompletableFuture<String>> waiting = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        waiting.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    gateway.invoke(Revision.of("fn-1"), "/");
                    return "served";
                  } catch (Refused e) {
                    return e.getMessage();
                  }
                }));
      }
      List<String> outcomes = new ArrayList<>();
      for (CompletableFuture<String> f : waiting) {
        outcomes.add(f.get());
      }
      assertThat(outcomes.stream().filter(o -> o.contains("queue of fn-1 is full")))
          .as(outcomes.toString())
          .hasSize(3);
      assertThat(outcomes.stream().filter(o -> o.contains("within the queue timeout of 400 ms")))
          .as(outcomes.toString())
          .hasSize(2);
      assertThat(meters.counter("thaw.gateway.queue.rejections").count()).isEqualTo(3);
      assertThat(meters.counter("thaw.gateway.queue.timeouts").count()).isEqualTo(2);
      assertThat(holder.get().status()).isEqualTo(200);
    }
  }
}
