package dev.thaw.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.InvokeRequests;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the digest of a snapshot's manifest reaches the nodes that restore it: the node that made the
 * snapshot reports it in its status, the gateway keeps it, and an invocation hands it to the agent
 * in a header only the gateway sets (a caller's {@code X-Thaw-…} headers never pass).
 */
class ManifestDigestRelayTest {
  private static final Revision FN_1 = Revision.of("fn-1");

  @TempDir Path dir;

  @Test
  void theMakerReportsItsManifestDigestAndTheGatewayKeepsIt() throws Exception {
    try (OneNodeGateway c = OneNodeGateway.start(dir, OneNodeGateway::deployFn1, b -> b)) {
      assertThat(c.agent.status().manifests()).as("nothing made yet").isEmpty();
      assertThat(invoke(c, Map.of()).statusCode()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> c.agent.status().manifests().containsKey("fn-1"));

      SnapshotManifest made;
      try (CachedSnapshot e = c.node.cache().acquire("fn-1").orElseThrow()) {
        made = e.manifest();
      }
      String digest = ManifestDigest.of(made).sha256();
      assertThat(c.agent.status().manifests()).containsExactly(Map.entry("fn-1", digest));

      org.eclipse.jetty.client.HttpClient http = AgentClient.newHttp();
      AgentClient client = new AgentClient(c.agentServer.uri(), http, OneNodeGateway.TOKEN);
      try (NodeViews views = NodeViews.start(Map.of("n1", client), Duration.ofHours(1))) {
        assertThat(views.manifestDigest(FN_1)).contains(new ManifestDigest(digest));
        assertThat(views.manifestDigest(Revision.of("other"))).isEmpty();

        // Deleting the function forgets what was made of it, on the node and at the gateway.
        c.agent.undeploy(FN_1);
        assertThat(c.agent.status().manifests()).isEmpty();
        views.pollAll();
        assertThat(views.manifestDigest(FN_1)).isEmpty();
      } finally {
        AgentClient.stop(http);
      }
    }
  }

  @Test
  void anAgentRefusesAMalformedDigestAndACallerCannotHandOneThroughTheGateway() throws Exception {
    try (OneNodeGateway c = OneNodeGateway.start(dir, OneNodeGateway::deployFn1, b -> b)) {
      HttpResponse<String> malformed =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(c.agentServer.uri().resolve("/functions/fn-1/invoke"))
                      .header("Authorization", OneNodeGateway.TOKEN.authorization())
                      .header(InvokeRequests.MANIFEST_SHA256, "not-a-digest")
                      .POST(HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(malformed.statusCode()).isEqualTo(400);
      assertThat(malformed.body()).contains("manifest digest");

      // Through the gateway the caller's header is dropped, whatever it holds: the invocation
      // is served, and the function never sees it.
      HttpResponse<String> viaGateway =
          invoke(c, Map.of(InvokeRequests.MANIFEST_SHA256, "not-a-digest"));
      assertThat(viaGateway.statusCode()).as(viaGateway.body()).isEqualTo(200);
      assertThat(c.vmm.lastRequest()).doesNotContainIgnoringCase(InvokeRequests.MANIFEST_SHA256);
    }
  }

  private static HttpResponse<String> invoke(OneNodeGateway c, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(c.server.uri() + "/functions/fn-1/invoke"))
            .POST(HttpRequest.BodyPublishers.noBody());
    headers.forEach(r::header);
    return HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
