package dev.thaw.node.gateway;

import static dev.thaw.node.gateway.OneNodeGateway.FN;
import static dev.thaw.node.gateway.OneNodeGateway.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may manage the cluster, over real HTTP on 127.0.0.1 (gateway, agent, a {@link FakeVmm}): the
 * gateway's management routes and every agent route but {@code /health} refuse a request without
 * the token or with another one, and nothing happens; invocations through the gateway need none.
 */
class ManagementTokenTest {
  private static final String OTHER = BearerToken.generate().authorization();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private OneNodeGateway cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = OneNodeGateway.start(dir, OneNodeGateway::deployFn1, b -> b);
  }

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private HttpResponse<String> send(URI base, String method, String target, String auth)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + target))
            .method(
                method,
                method.equals("PUT")
                    ? HttpRequest.BodyPublishers.ofString(FN)
                    : HttpRequest.BodyPublishers.noBody());
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertRefused(URI base, String method, String target) throws Exception {
    for (String auth : new String[] {null, OTHER, "Basic " + TOKEN.value()}) {
      HttpResponse<String> r = send(base, method, target, auth);
      assertThat(r.statusCode()).as(method + " " + target + " with " + auth).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer");
      assertThat(r.body()).startsWith("{\"error\":");
    }
  }

  @Test
  void theGatewaysManagementRoutesRefuseAMissingOrWrongTokenAndNothingChanges() throws Exception {
    URI g = cluster.server.uri();
    assertRefused(g, "PUT", "/functions/fn-2");
    assertRefused(g, "DELETE", "/functions/fn-1");
    assertRefused(g, "GET", "/functions");
    assertRefused(g, "GET", "/nodes");
    assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1");

    assertThat(send(g, "GET", "/health", null).statusCode()).isEqualTo(200);
    assertThat(send(g, "PUT", "/functions/fn-2", TOKEN.authorization()).statusCode())
        .isEqualTo(200);
    assertThat(send(g, "GET", "/nodes", TOKEN.authorization()).statusCode()).isEqualTo(200);
    assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1", "fn-2");
  }

  @Test
  void invocationsThroughTheGatewayNeedNoToken() throws Exception {
    URI g = cluster.server.uri();
    HttpResponse<String> api = send(g, "POST", "/functions/fn-1/invoke", null);
    assertThat(api.statusCode()).as(api.body()).isEqualTo(200);
    HttpResponse<String> plain = send(g, "GET", "/fn-1/a//b", null);
    assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
    assertThat(cluster.vmm.lastRequest()).startsWith("GET /a//b ");
  }

  @Test
  void aDotSegmentUnderAFunctionDoesNotReachAManagementRouteWithoutTheToken() throws Exception {
    URI g = cluster.server.uri();
    assertThat(send(g, "GET", "/fn-1/../functions", null).statusCode()).isEqualTo(401);
    assertThat(send(g, "GET", "/fn-1/../nodes", null).statusCode()).isEqualTo(401);
    assertThat(send(g, "DELETE", "/fn-1/%2e%2e/functions/fn-1", null).statusCode()).isEqualTo(400);
    assertThat(send(g, "GET", "//functions", null).statusCode()).isEqualTo(404);
    assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1");
  }

  @Test
  void everyAgentRouteButHealthRefusesAMissingOrWrongTokenAndNothingRuns() throws Exception {
    URI a = cluster.agentServer.uri();
    for (List<String> route :
        List.of(
            List.of("POST", "/functions/fn-1/invoke"),
            List.of("POST", "/functions/fn-1/instances"),
            List.of("DELETE", "/functions/fn-1/instances"),
            List.of("PUT", "/functions/fn-2"),
            List.of("DELETE", "/functions/fn-1"),
            List.of("GET", "/functions"),
            List.of("GET", "/instances"),
            List.of("GET", "/snapshots"),
            List.of("GET", "/metrics"))) {
      assertRefused(a, route.get(0), route.get(1));
    }
    assertThat(cluster.vmm.boots() + cluster.vmm.restores()).isZero();
    assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1");
    assertThat(send(a, "GET", "/health", null).statusCode()).isEqualTo(200);
    assertThat(send(a, "GET", "/instances", TOKEN.authorization()).statusCode()).isEqualTo(200);
  }
}
