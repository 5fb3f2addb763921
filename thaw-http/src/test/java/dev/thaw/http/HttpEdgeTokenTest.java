package dev.thaw.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge's token over real HTTP: guarded and open routes, TCP and the Unix-domain socket. */
class HttpEdgeTokenTest {
  private static final BearerToken TOKEN = BearerToken.generate();

  @TempDir Path dir;
  private HttpEdge edge;
  private final AtomicInteger ran = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    edge =
        HttpEdge.builder("token-edge")
            .unix(dir.resolve("edge.sock"))
            .token(TOKEN)
            .openRoute("GET", "/health", c -> HttpAnswer.text(200, "text/plain", "ok"))
            .route(
                "*",
                "/manage/.*",
                c -> {
                  ran.incrementAndGet();
                  return HttpAnswer.text(200, "text/plain", "done");
                })
            .start();
  }

  @AfterEach
  void stop() {
    edge.close();
  }

  private HttpResponse<String> send(String method, String path, String authorization)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(edge.uri().resolve(path))
            .method(method, HttpRequest.BodyPublishers.ofString("{}"));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aGuardedRouteWithoutTheTokenIsRefusedBeforeItRuns() throws Exception {
    HttpResponse<String> none = send("PUT", "/manage/x", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(none.body()).startsWith("{\"error\":\"").contains("token");
    // Its body (a small one) was read and dropped, not handed to the route: the connection
    // stays usable.
    assertThat(none.headers().firstValue("Connection")).isEmpty();

    HttpResponse<String> wrong =
        send("DELETE", "/manage/x", BearerToken.generate().authorization());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer error=");
    assertThat(wrong.body()).doesNotContain(TOKEN.value());
    assertThat(send("GET", "/manage/x", "Basic " + TOKEN.value()).statusCode()).isEqualTo(401);
    assertThat(ran).hasValue(0);

    assertThat(send("PUT", "/manage/x", TOKEN.authorization()).statusCode()).isEqualTo(200);
    assertThat(ran).hasValue(1);
  }

  @Test
  void anOpenRouteNeedsNoToken() throws Exception {
    assertThat(send("GET", "/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void theUnixSocketIsGuardedByItsFileModeNotByTheToken() throws Exception {
    Path socket = edge.unixSocket().orElseThrow();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-rw----");
    try (UnixSocketClient unix = new UnixSocketClient(socket)) {
      HttpAnswer a = unix.send("PUT", "/manage/x", new byte[0], Duration.ofSeconds(5));
      assertThat(a.status()).isEqualTo(200);
      assertThat(new String(a.body(), StandardCharsets.UTF_8)).isEqualTo("done");
    }
  }
}
