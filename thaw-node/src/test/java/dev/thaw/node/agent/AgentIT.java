package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.http.BearerToken;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The agent over its real HTTP API, with real microVMs and a real cache directory. */
class AgentIT {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final GuestImage IMAGE = GuestImage.ensure(System.out::println);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  private Running running;

  /** An agent with its server and cache, as `thaw agent` assembles them. */
  private record Running(NodeAgent agent, AgentServer server, SnapshotNode node)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      server.close();
      agent.close();
      node.close();
    }
  }

  private Running start(Duration keepAlive, int maxInstances) throws Exception {
    QemuVmm vmm = QemuVmm.builder().image(IMAGE).workRoot(dir.resolve("vms")).build();
    SnapshotNode node =
        SnapshotNode.builder(vmm, IMAGE.digests(), dir)
            .advertiser(ads.forNode("n1"))
            .manager(b -> b.mode(SnapshotMode.LOCAL))
            .build();
    NodeAgent agent =
        NodeAgent.builder()
            .name("n1")
            .manager(node.manager())
            .keepAlive(keepAlive)
            .maxInstances(maxInstances)
            .build();
    agent.deploy(Revision.of("stateful"), BuiltinFunctions.STATEFUL);
    running =
        new Running(
            agent,
            AgentServer.builder(agent, TOKEN)
                .socket(dir.resolve("agent.sock"))
                .snapshots(node.cache()::revisions)
                .start(),
            node);
    return running;
  }

  @AfterEach
  void stop() throws Exception {
    if (running != null) {
      running.close();
    }
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return send(method, path, body, null, null);
  }

  private HttpResponse<String> send(
      String method, String path, String body, String header, String value) throws Exception {
    URI uri = running.server().uri().resolve(path);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .header("Authorization", TOKEN.authorization())
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofSeconds(150));
    if (header != null) {
      request.header(header, value);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> invoke(String revision) throws Exception {
    return send("POST", "/functions/" + revision + "/invoke", "");
  }

  private static String header(HttpResponse<String> r, String name) {
    return r.headers().firstValue(name).orElse("");
  }

  @Test
  void warmReuseSnapshotCloneKeepAliveExpiryAndRestart() throws Exception {
    start(Duration.ofSeconds(3), 4);
    HttpResponse<String> first = invoke("stateful");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(header(first, "X-Thaw-Start")).isEqualTo("cold");
    assertThat(header(first, "X-Thaw-Source")).isEqualTo("none");
    JsonNode state = JSON.readTree(first.body());

    // The booted instance is snapshotted; its clone becomes the warm instance.
    await().atMost(Duration.ofSeconds(60)).until(() -> !running.agent().instances().isEmpty());
    assertThat(ads.revisions("n1")).containsExactly("stateful");
    HttpResponse<String> warm = invoke("stateful");
    assertThat(header(warm, "X-Thaw-Start")).isEqualTo("warm");
    assertThat(JSON.readTree(warm.body()).get("bootId")).isEqualTo(state.get("bootId"));
    assertThat(JSON.readTree(warm.body()).get("counter").asInt()).isEqualTo(2);

    // Idle past the keep-alive window: scaled to zero; the next call restores from the cache.
    await().atMost(Duration.ofSeconds(30)).until(() -> running.agent().instances().isEmpty());
    HttpResponse<String> again = invoke("stateful");
    assertThat(header(again, "X-Thaw-Start")).isEqualTo("cold");
    assertThat(header(again, "X-Thaw-Source")).isEqualTo("local");

    // An agent restart keeps its cache and announces it again.
    running.close();
    running = null;
    ads.forNode("n1").advertise(java.util.Set.of());
    start(Duration.ofSeconds(30), 4);
    assertThat(ads.revisions("n1")).containsExactly("stateful");
    HttpResponse<String> afterRestart = invoke("stateful");
    assertThat(header(afterRestart, "X-Thaw-Source")).isEqualTo("local");
    assertThat(JSON.readTree(afterRestart.body()).get("checksum")).isEqualTo(state.get("checksum"));
  }

  @Test
  void refusesUnknownRevisionsBadSpecsAndWorkBeyondCapacity() throws Exception {
    start(Duration.ofSeconds(60), 1);
    assertThat(invoke("nothing").statusCode()).isEqualTo(404);
    assertThat(send("PUT", "/functions/bad", "{\"id\":\"../x\"}").statusCode()).isEqualTo(400);
    HttpResponse<String> deployed =
        send(
            "PUT",
            "/functions/hello-v1",
            "{\"id\":\"hello\",\"memoryMib\":256,\"vcpus\":1,\"handler\":\"hello\",\"initMib\":0}");
    assertThat(deployed.statusCode()).isEqualTo(200);
    assertThat(invoke("hello-v1").statusCode()).isEqualTo(200);
    // The booted instance is snapshotted; its clone takes the only slot, idle.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> send("GET", "/instances", "").body().contains("\"busy\":false"));
    // While that instance is busy, another function finds the node full.
    var busy =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return send("POST", "/functions/hello-v1/invoke?path=%2F%3Fms%3D4000", "");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> send("GET", "/instances", "").body().contains("\"busy\":true"));
    HttpResponse<String> full = invoke("stateful");
    assertThat(full.statusCode()).isEqualTo(503);
    assertThat(full.body()).contains("at capacity").contains("all busy");
    assertThat(busy.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    // Once it is idle again, it makes room: a cold start stops the idle instance of hello-v1.
    HttpResponse<String> roomMade = invoke("stateful");
    assertThat(roomMade.statusCode()).isEqualTo(200);
    assertThat(send("GET", "/instances", "").body()).doesNotContain("hello-v1");
    assertThat(send("GET", "/health", "").body()).contains("\"node\":\"n1\"");

    // The same API served natively on the agent's Unix socket, as the launcher calls it.
    try (var unix = new dev.thaw.http.UnixSocketClient(running.server().socket().orElseThrow())) {
      var answer = unix.send("GET", "/health", new byte[0], Duration.ofSeconds(5));
      assertThat(answer.status()).isEqualTo(200);
      assertThat(new String(answer.body(), java.nio.charset.StandardCharsets.UTF_8))
          .contains("\"node\":\"n1\"");
    }
  }

  @Test
  void aPatchIsServed_andAFunctionPastItsTimeoutGets504WhileTheNodeKeepsServing() throws Exception {
    start(Duration.ofSeconds(60), 2);
    HttpResponse<String> deployed =
        send(
            "PUT",
            "/functions/hello-t",
            "{\"id\":\"hello\",\"memoryMib\":256,\"vcpus\":1,\"handler\":\"hello\",\"initMib\":0,"
                + "\"timeoutSeconds\":2}");
    assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);
    HttpResponse<String> patch =
        send("POST", "/functions/hello-t/invoke?path=%2Fitems", "{}", "X-Thaw-Method", "PATCH");
    assertThat(patch.statusCode()).as(patch.body()).isEqualTo(200);
    assertThat(header(patch, "X-Thaw-Start")).isEqualTo("cold");

    // The booted instance is snapshotted; its clone waits, idle.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> send("GET", "/instances", "").body().contains("\"busy\":false"));
    String idle = send("GET", "/instances", "").body();
    // The function would answer in ten minutes (the longest the guest sleeps), long after send()'s
    // own timeout: an answer at all shows that the caller did not wait for it.
    HttpResponse<String> late =
        send("POST", "/functions/hello-t/invoke?path=%2F%3Fms%3D600000", "");
    assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
    assertThat(late.body()).isEqualTo("{\"error\":\"function hello-t did not answer within 2 s\"}");
    String id = JSON.readTree(idle).get(0).get("id").asString();
    assertThat(send("GET", "/instances", "").body())
        .as("the timed-out instance was stopped")
        .doesNotContain(id);

    HttpResponse<String> next = invoke("hello-t");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(header(next, "X-Thaw-Source"))
        .as("a fresh clone of the snapshot")
        .isEqualTo("local");
  }
}
