package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import dev.thaw.http.UnixSocketClient;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.snapshot.SnapshotNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's two edges side by side over real HTTP (a {@link FakeVmm} behind): the peer token opens
 * no management route, the management token no peer route, and neither the management edge nor its
 * credential-free Unix socket has peer routes.
 */
class PeerEdgeApartTest {
  private static final BearerToken MANAGEMENT = BearerToken.generate();
  private static final BearerToken PEER = BearerToken.generate();
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private SnapshotNode node;
  private NodeAgent agent;
  private AgentServer management;
  private PeerServer peers;

  @BeforeEach
  void start() throws Exception {
    node =
        SnapshotNode.builder(new FakeVmm(), GUEST, dir.resolve("node"))
            .manager(b -> b.mode(SnapshotMode.LOCAL))
            .build();
    agent = NodeAgent.builder().name("n1").manager(node.manager()).maxInstances(1).build();
    management =
        AgentServer.builder(agent, MANAGEMENT)
            .socket(dir.resolve("agent.sock"))
            .snapshots(node.cache()::revisions)
            .start();
    peers =
        PeerServer.builder(
                "n1",
                PeerTokens.of(PEER),
                new CachedChunks(node.cache(), new SimpleMeterRegistry()))
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    peers.close();
    management.close();
    agent.close();
    node.close();
  }

  private int status(URI base, String target, BearerToken token) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(base + target))
                .header("Authorization", token.authorization())
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void eachTokenOpensItsOwnEdgeOnly() throws Exception {
    String chunk = "/peer/chunks/" + "0".repeat(64);
    assertThat(status(peers.uri(), "/peer/snapshots", PEER)).isEqualTo(200);
    assertThat(status(peers.uri(), "/peer/snapshots", MANAGEMENT)).isEqualTo(401);
    assertThat(status(peers.uri(), chunk, MANAGEMENT)).isEqualTo(401);
    assertThat(status(peers.uri(), "/functions", PEER)).as("no management route").isEqualTo(404);

    assertThat(status(management.uri(), "/functions", MANAGEMENT)).isEqualTo(200);
    assertThat(status(management.uri(), "/functions", PEER)).isEqualTo(401);
    assertThat(status(management.uri(), "/snapshots", PEER)).isEqualTo(401);
    assertThat(status(management.uri(), "/peer/snapshots", MANAGEMENT)).isEqualTo(404);
    assertThat(status(management.uri(), chunk, MANAGEMENT)).isEqualTo(404);
  }

  @Test
  void theUnixSocketHasNoPeerRoutes() throws Exception {
    try (UnixSocketClient socket = new UnixSocketClient(management.socket().orElseThrow())) {
      assertThat(socket.send("GET", "/snapshots", new byte[0], Duration.ofSeconds(30)).status())
          .as("the socket serves without a token")
          .isEqualTo(200);
      assertThat(
              socket
                  .send(
                      "GET", "/peer/chunks/" + "0".repeat(64), new byte[0], Duration.ofSeconds(30))
                  .status())
          .isEqualTo(404);
      assertThat(
              socket.send("GET", "/peer/snapshots", new byte[0], Duration.ofSeconds(30)).status())
          .isEqualTo(404);
    }
  }
}
