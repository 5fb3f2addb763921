package dev.thaw.node.gateway;

import static dev.thaw.node.gateway.OneNodeGateway.FN;
import static dev.thaw.node.gateway.OneNodeGateway.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.FunctionInfo;
import dev.thaw.node.protocol.InstanceInfo;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;

/**
 * The gateway's plain HTTP and function API over real HTTP on 127.0.0.1 (gateway, agent, and a
 * {@link FakeVmm} whose guests echo POST, PUT and PATCH): what reaches the function and what comes
 * back.
 */
class PlainHttpTest {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private OneNodeGateway cluster;

  @BeforeEach
  void start() throws Exception {
    Deployments deployments = Deployments.at(dir.resolve("deployments.json"));
    cluster = OneNodeGateway.start(dir, agent -> {}, b -> b.deployments(deployments));
    assertThat(manage("PUT", "/functions/fn-1", FN.getBytes(), "application/json").statusCode())
        .isEqualTo(200);
  }

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A request as any client sends it: no token. */
  private HttpResponse<byte[]> send(String method, String target, byte[] body, String type)
      throws Exception {
    return send(HttpRequest.newBuilder(cluster.server.uri().resolve(target)), method, body, type);
  }

  /** A request to a management route, with the token. */
  private HttpResponse<byte[]> manage(String method, String target, byte[] body, String type)
      throws Exception {
    return send(
        HttpRequest.newBuilder(cluster.server.uri().resolve(target))
            .header("Authorization", TOKEN.authorization()),
        method,
        body,
        type);
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder b, String method, byte[] body, String type)
      throws Exception {
    b.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    if (type != null) {
      b.header("Content-Type", type);
    }
    return http.send(b.header("X-Custom", "yes").build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aBinaryPostReachesTheFunctionUnchangedAndItsAnswerComesBackAsIs() throws Exception {
    byte[] body = new byte[3 << 20];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (i * 31 + (i >> 8)); // not UTF-8, not JSON
    }
    HttpResponse<byte[]> r = send("POST", "/fn-1/up/a%2Cb?x=1&y=%20", body, "image/x-test");
    assertThat(r.statusCode())
        .as(new String(r.body(), 0, Math.min(300, r.body().length)))
        .isEqualTo(200);
    assertThat(r.body()).isEqualTo(body);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("image/x-test");
    assertThat(r.headers().firstValue("X-Thaw-Node")).hasValue("n1");
    assertThat(r.headers().firstValue("X-Thaw-Start")).hasValue("cold");
    assertThat(cluster.vmm.lastRequest())
        .startsWith("POST /up/a%2Cb ")
        .contains(" content-type=image/x-test")
        .contains(" x-custom=yes")
        .doesNotContain("x-thaw");
  }

  @Test
  void aGetOnTheBareNameIsTheFunctionsRoot() throws Exception {
    HttpResponse<byte[]> r = send("GET", "/fn-1", new byte[0], null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(r.body())).isEqualTo("booted fn");
    assertThat(cluster.vmm.lastRequest()).startsWith("GET / ");
    assertThat(r.headers().firstValue("X-Thaw-Placement-Ms"))
        .get()
        .asString()
        .matches("\\d+\\.\\d{3}");
    assertThat(r.headers().firstValue("Content-Security-Policy")).contains(GatewayServer.SANDBOX);
  }

  @Test
  void placementTimeIsWrittenAsMillisecondsWithThreeDecimals() {
    for (long nanos : new long[] {0, 499, 500, 1_000, 12_345, 999_999_499L, 1_234_567_890L}) {
      assertThat(GatewayServer.millis(Duration.ofNanos(nanos)))
          .isEqualTo(String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6));
    }
  }

  @Test
  void theApiKeepsItsRoutes_andBadRequestsAreRefused() throws Exception {
    assertThat(send("DELETE", "/health", new byte[0], null).statusCode()).isEqualTo(405);
    assertThat(send("POST", "/nodes", new byte[0], null).statusCode()).isEqualTo(405);
    assertThat(send("GET", "/nope-1/", new byte[0], null).statusCode()).isEqualTo(404);
    HttpResponse<byte[]> trace = send("TRACE", "/fn-1/", new byte[0], null);
    assertThat(trace.statusCode()).isEqualTo(400);
    assertThat(new String(trace.body())).contains("TRACE is not one a function is invoked with");
    HttpResponse<byte[]> big =
        send("POST", "/fn-1/", new byte[FunctionRequest.MAX_BODY_BYTES + 1], null);
    assertThat(big.statusCode()).isEqualTo(413);
  }

  @Test
  void noInvocationReachesTheGuestsControlRequests() throws Exception {
    for (String target :
        List.of(
            "/fn-1/_thaw/resume?seed=00&t=1",
            "/fn-1/_thaw/mute",
            "/fn-1/%5Fthaw/mute",
            "/functions/fn-1/invoke?path=%2F_thaw%2Fmute",
            "/functions/fn-1/invoke?path=/%255Fthaw/mute")) {
      HttpResponse<byte[]> r = send("POST", target, new byte[0], null);
      assertThat(r.statusCode()).as(target).isEqualTo(400);
      assertThat(new String(r.body())).as(target).contains("reserved for the platform");
    }
    // Through the agent's own route as the gateway calls it, with the token, too.
    HttpResponse<byte[]> agentSide =
        send(
            HttpRequest.newBuilder(
                    cluster.agentServer.uri().resolve("/functions/fn-1/invoke?path=/_thaw/sync"))
                .header("Authorization", TOKEN.authorization()),
            "POST",
            new byte[0],
            null);
    assertThat(agentSide.statusCode()).isEqualTo(400);
    assertThat(cluster.vmm.lastRequest()).as("nothing reached a guest").isEmpty();
  }

  @Test
  void aPatchReachesTheFunction_asPlainHttpAndThroughTheApi() throws Exception {
    HttpResponse<byte[]> r =
        send("PATCH", "/fn-1/items/7?x=1", "{\"a\":1}".getBytes(), "application/merge-patch+json");
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    assertThat(new String(r.body())).isEqualTo("{\"a\":1}");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/merge-patch+json");
    assertThat(cluster.vmm.lastRequest())
        .startsWith("PATCH /items/7 ")
        .contains(" content-type=application/merge-patch+json")
        .contains(" x-custom=yes");

    HttpResponse<byte[]> api =
        http.send(
            HttpRequest.newBuilder(cluster.server.uri().resolve("/functions/fn-1/invoke?path=%2Fp"))
                .header("X-Thaw-Method", "PATCH")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("patch me"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(api.statusCode()).isEqualTo(200);
    assertThat(new String(api.body())).isEqualTo("patch me");
    assertThat(cluster.vmm.lastRequest()).startsWith("PATCH /p ");
  }

  @Test
  @Timeout(60)
  void aFunctionSilentPastItsTimeoutGets504_andItsInstanceMakesWayForAFreshOne() throws Exception {
    String slow = FN.replace("}", ",\"timeoutSeconds\":1}");
    assertThat(
            manage("PUT", "/functions/fn-slow", slow.getBytes(), "application/json").statusCode())
        .isEqualTo(200);
    assertThat(send("GET", "/fn-slow/", new byte[0], null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> idleInstance().isPresent());
    String timedOut = idleInstance().orElseThrow();
    String reason = "{\"error\":\"function fn-slow did not answer within 1 s\"}";

    // The function would answer long after this test's own timeout: an answer at all shows that
    // the caller did not wait for it.
    HttpResponse<byte[]> late = send("GET", "/fn-slow/?ms=600000", new byte[0], null);
    assertThat(late.statusCode()).isEqualTo(504);
    assertThat(new String(late.body())).isEqualTo(reason);
    assertThat(late.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    assertThat(cluster.agent.instances())
        .as("the timed-out instance was stopped")
        .extracting(InstanceInfo::id)
        .doesNotContain(timedOut);
    assertThat(cluster.vmm.running()).isZero();

    HttpResponse<byte[]> next = send("GET", "/fn-slow/", new byte[0], null);
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(next.headers().firstValue("X-Thaw-Source")).as("a fresh clone").hasValue("local");

    // The agent's own API answers the same way.
    await().atMost(Duration.ofSeconds(10)).until(() -> idleInstance().isPresent());
    HttpResponse<byte[]> agentSide =
        send(
            HttpRequest.newBuilder(
                    cluster
                        .agentServer
                        .uri()
                        .resolve("/functions/fn-slow/invoke?path=%2F%3Fms%3D600000"))
                .header("Authorization", TOKEN.authorization()),
            "POST",
            new byte[0],
            null);
    assertThat(agentSide.statusCode()).isEqualTo(504);
    assertThat(new String(agentSide.body())).isEqualTo(reason);
    assertThat(send("GET", "/fn-slow/?ms=100", new byte[0], null).statusCode()).isEqualTo(200);
  }

  /** The id of the agent's one idle instance, if it has exactly one and it is idle. */
  private java.util.Optional<String> idleInstance() {
    List<InstanceInfo> all = cluster.agent.instances();
    return all.size() == 1 && !all.get(0).busy()
        ? java.util.Optional.of(all.get(0).id())
        : java.util.Optional.empty();
  }

  @Test
  void theApiInvokeCarriesTheMethodInAHeader() throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(cluster.server.uri().resolve("/functions/fn-1/invoke?path=%2Fp"))
                .header("X-Thaw-Method", "PUT")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("put me"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(new String(r.body())).isEqualTo("put me");
    assertThat(cluster.vmm.lastRequest()).startsWith("PUT /p ");
  }

  @Test
  void functionsListsDeploymentsWithSnapshotsAndWarmInstances_deleteForgetsThem() throws Exception {
    assertThat(send("GET", "/fn-1/", new byte[0], null).statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              FunctionInfo f = functions().get(0);
              return f.snapshotOn().equals(List.of("n1")) && f.warm() == 1;
            });
    FunctionInfo f = functions().get(0);
    assertThat(f.name()).isEqualTo("fn-1");
    assertThat(f.image()).isEmpty();
    assertThat(f.memoryMib()).isEqualTo(64);
    assertThat(Deployments.at(dir.resolve("deployments.json")).all())
        .extracting(Deployments.Entry::revision)
        .containsExactly("fn-1");

    assertThat(manage("DELETE", "/functions/fn-1", new byte[0], null).statusCode()).isEqualTo(200);
    assertThat(functions()).isEmpty();
    assertThat(cluster.agent.functions()).isEmpty();
    assertThat(cluster.node.cache().revisions())
        .as("its snapshot is gone too")
        .doesNotContain("fn-1");
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.agent.instances().isEmpty());
    assertThat(send("GET", "/fn-1/", new byte[0], null).statusCode()).isEqualTo(404);
    assertThat(manage("DELETE", "/functions/fn-1", new byte[0], null).statusCode()).isEqualTo(404);
    assertThat(Deployments.at(dir.resolve("deployments.json")).all()).isEmpty();
  }

  private List<FunctionInfo> functions() throws Exception {
    HttpResponse<byte[]> r = manage("GET", "/functions", new byte[0], null);
    assertThat(r.statusCode()).isEqualTo(200);
    return AgentClient.JSON.readValue(r.body(), new TypeReference<List<FunctionInfo>>() {});
  }

  @Test
  void aRedeployOfTheSameFunctionKeepsItsWarmInstanceAndSnapshot_anotherOneDropsBoth()
      throws Exception {
    assertThat(send("GET", "/fn-1/", new byte[0], null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> functions().get(0).warm() == 1);
    assertThat(manage("PUT", "/functions/fn-1", FN.getBytes(), "application/json").statusCode())
        .isEqualTo(200);
    HttpResponse<byte[]> same = send("GET", "/fn-1/", new byte[0], null);
    assertThat(same.headers().firstValue("X-Thaw-Start")).hasValue("warm");
    assertThat(cluster.node.cache().revisions())
        .as("the same function keeps its snapshot")
        .contains("fn-1");

    await().atMost(Duration.ofSeconds(10)).until(() -> functions().get(0).warm() == 1);
    String bigger = FN.replace("\"memoryMib\":64", "\"memoryMib\":128");
    assertThat(manage("PUT", "/functions/fn-1", bigger.getBytes(), "application/json").statusCode())
        .isEqualTo(200);
    assertThat(cluster.agent.instances()).as("the old function's idle instance stopped").isEmpty();
    assertThat(cluster.node.cache().revisions())
        .as("and its snapshot is gone")
        .doesNotContain("fn-1");
    HttpResponse<byte[]> fresh = send("GET", "/fn-1/", new byte[0], null);
    assertThat(fresh.statusCode()).isEqualTo(200);
    assertThat(fresh.headers().firstValue("X-Thaw-Source")).as("a boot").hasValue("none");
  }

  @Test
  void aRestartedGatewayDeploysWhatItRecorded() throws Exception {
    cluster.server.close();
    cluster.gateway.close();
    cluster.agent.undeploy(dev.thaw.core.function.Revision.of("fn-1"));
    try (Gateway again =
        Gateway.builder()
            .token(TOKEN)
            .node("n1", cluster.agentServer.uri())
            .deployments(Deployments.at(dir.resolve("deployments.json")))
            .build()) {
      assertThat(again.redeployRecorded(Duration.ofSeconds(5)))
          .containsEntry("fn-1", java.util.Optional.empty());
      assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1");
    }
    cluster.server = GatewayServer.start(cluster.gateway, 0, TOKEN); // closed again by stop()
  }

  @Test
  void aDeploymentsFileThatIsNotOneIsRefused() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"version\": 9}");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Deployments.at(bad))
        .hasMessageContaining("not a version-1 list");
  }
}
