package dev.thaw.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge over real HTTP on 127.0.0.1 and on a Unix-domain socket. */
class HttpEdgeTest {
  @TempDir Path dir;
  private HttpEdge edge;
  private final HttpClient http = HttpClient.newHttpClient();

  /** A domain exception the error mapper knows. */
  static final class Busy extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Busy() {
      super("all busy");
    }
  }

  @BeforeEach
  void start() throws Exception {
    edge =
        HttpEdge.builder("test-edge")
            .unix(dir.resolve("edge.sock"))
            .maxBodyBytes(100)
            .idleTimeout(Duration.ofMillis(500))
            .maxThreads(8)
            .route("GET", "/hello/([a-z]+)", c -> HttpAnswer.json(200, Map.of("hi", c.group(1))))
            .route("POST", "/echo", c -> HttpAnswer.text(200, "text/plain", c.bodyText()))
            .route("*", "/where", c -> HttpAnswer.text(200, "text/plain", whereRoutesRun(c)))
            .route(
                "GET", "/query", c -> HttpAnswer.text(200, "text/plain", c.query("p").orElse("-")))
            .route(
                "GET",
                "/refuse",
                c -> {
                  throw new HttpRefusal(409, "no, because");
                })
            .route(
                "GET",
                "/busy",
                c -> {
                  throw new Busy();
                })
            .route(
                "GET",
                "/bug",
                c -> {
                  throw new IllegalStateException("a bug");
                })
            .errors(
                e ->
                    e instanceof Busy
                        ? Optional.of(HttpAnswer.error(503, e.getMessage()))
                        : Optional.empty())
            .start();
  }

  @AfterEach
  void stop() {
    edge.close();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(edge.uri().resolve(path))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void routesAnswerAndErrorsAreJsonFromOnePlace() throws Exception {
    assertThat(send("GET", "/hello/you", "").body()).isEqualTo("{\"hi\":\"you\"}");
    assertThat(send("POST", "/echo", "ping").body()).isEqualTo("ping");
    assertThat(send("GET", "/query?p=%2Fa%20b", "").body()).isEqualTo("/a b");

    HttpResponse<String> refused = send("GET", "/refuse", "");
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(refused.body()).isEqualTo("{\"error\":\"no, because\"}");
    assertThat(send("GET", "/busy", "").statusCode()).isEqualTo(503);
    HttpResponse<String> bug = send("GET", "/bug", "");
    assertThat(bug.statusCode()).isEqualTo(500);
    assertThat(bug.body()).isEqualTo("{\"error\":\"a bug\"}");
    assertThat(send("GET", "/nowhere", "").statusCode()).isEqualTo(404);
    assertThat(send("DELETE", "/echo", "").statusCode()).isEqualTo(405);
  }

  @Test
  void bodiesBeyondTheBoundAreRefusedWith413() throws Exception {
    HttpResponse<String> big = send("POST", "/echo", "x".repeat(101));
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(big.body()).contains("larger than 100 bytes");
    assertThat(send("POST", "/echo", "x".repeat(100)).statusCode()).isEqualTo(200);
  }

  @Test
  void aLargeSizedBodyStillSendingWhenRefusedReadsItsAnswerNotAReset() throws Exception {
    // 8 MiB against a 100-byte bound: more than the socket buffers hold, so the client is still
    // writing when the answer is ready. Closing with its bytes unread would reset the connection.
    byte[] body = new byte[8 << 20];
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> big =
          http.send(
              HttpRequest.newBuilder(edge.uri().resolve("/echo"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(big.statusCode()).isEqualTo(413);
      assertThat(big.headers().firstValue("Connection")).isEmpty();
      HttpResponse<String> nowhere =
          http.send(
              HttpRequest.newBuilder(edge.uri().resolve("/nowhere"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(nowhere.statusCode()).isEqualTo(404);
    }
  }

  /** Whether a route runs inside the dispatcher's own call (no handoff), and the body it got. */
  private static String whereRoutesRun(HttpCall c) {
    boolean inHandle =
        java.util.Arrays.stream(Thread.currentThread().getStackTrace())
            .anyMatch(
                f ->
                    f.getClassName().equals(EdgeDispatcher.class.getName())
                        && f.getMethodName().equals("handle"));
    return (inHandle ? "in handle" : "handed off") + ", body '" + c.bodyText() + "'";
  }

  @Test
  void aRequestWithoutBodyRunsItsRouteAtOnceAndOneWithABodyAfterReadingIt() throws Exception {
    // A GET names no length: it has no body to wait for.
    assertThat(
            http.send(
                    HttpRequest.newBuilder(edge.uri().resolve("/where")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())
        .isEqualTo("in handle, body ''");
    // Jetty's client, as the gateway's callers and the gateway itself use, twice on one connection.
    org.eclipse.jetty.client.HttpClient jetty = new org.eclipse.jetty.client.HttpClient();
    jetty.start();
    try {
      for (int i = 0; i < 2; i++) {
        assertThat(jetty.GET(edge.uri().resolve("/where")).getContentAsString())
            .isEqualTo("in handle, body ''");
      }
    } finally {
      jetty.stop();
    }
    // A chunked body (no length either) is read first, then the route runs.
    assertThat(
            http.send(
                    HttpRequest.newBuilder(edge.uri().resolve("/where"))
                        .POST(
                            HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream("abc".getBytes())))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())
        .isEqualTo("handed off, body 'abc'");
    assertThat(
            http.send(
                    HttpRequest.newBuilder(edge.uri().resolve("/where"))
                        .POST(HttpRequest.BodyPublishers.ofString("xy"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())
        .isEqualTo("handed off, body 'xy'");
  }

  @Test
  void aChunkedBodyBeyondTheBoundIsRefusedWith413Too() throws Exception {
    // No length: the JDK client sends an InputStream's body chunked.
    HttpResponse<String> big =
        http.send(
            HttpRequest.newBuilder(edge.uri().resolve("/echo"))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(new byte[101])))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(big.body()).contains("larger than 100 bytes");
    HttpResponse<String> fits =
        http.send(
            HttpRequest.newBuilder(edge.uri().resolve("/echo"))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream("y".repeat(100).getBytes())))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(fits.statusCode()).isEqualTo(200);
    assertThat(fits.body()).isEqualTo("y".repeat(100));
  }

  @Test
  void emptyPathSegmentsPassAsSentButEncodedDotSegmentsAreRefused() throws Exception {
    try (HttpEdge paths =
        HttpEdge.builder("paths")
            .route("GET", "/p/.*", c -> HttpAnswer.text(200, "text/plain", c.rawPath()))
            .start()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(paths.uri().resolve("/p/a//b")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("/p/a//b");
      HttpResponse<String> dots =
          http.send(
              HttpRequest.newBuilder(paths.uri().resolve("/p/a/%2e%2e/b")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(dots.statusCode()).isEqualTo(400);
    }
  }

  @Test
  void theSameRoutesAnswerOnTheUnixSocket() throws Exception {
    try (UnixSocketClient unix = new UnixSocketClient(edge.unixSocket().orElseThrow())) {
      HttpAnswer a = unix.send("GET", "/hello/unix", new byte[0], Duration.ofSeconds(5));
      assertThat(a.status()).isEqualTo(200);
      assertThat(new String(a.body(), StandardCharsets.UTF_8)).isEqualTo("{\"hi\":\"unix\"}");
      HttpAnswer echo =
          unix.send(
              "POST", "/echo", "over unix".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
      assertThat(new String(echo.body(), StandardCharsets.UTF_8)).isEqualTo("over unix");
    }
  }

  @Test
  void clientsThatPromiseABodyAndStallHoldNoThreadAndAreCutOff() throws Exception {
    // More stalled clients than the server has threads: each promises 100 bytes, sends 2.
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        Socket s = new Socket("127.0.0.1", edge.port());
        OutputStream out = s.getOutputStream();
        out.write(
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        stalled.add(s);
      }
      // The server still answers everyone else.
      assertThat(send("GET", "/hello/still", "").statusCode()).isEqualTo(200);
      // And cuts the stalled ones off after its read timeout (500 ms here): their stream ends,
      // where one left open would end this read with the socket's own, far longer, timeout.
      Socket first = stalled.get(0);
      first.setSoTimeout(30_000);
      InputStream in = first.getInputStream();
      byte[] rest = in.readAllBytes();
      assertThat(new String(rest, StandardCharsets.US_ASCII)).doesNotContain("200 OK");
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  @Test
  void aStaleSocketFileFromAKilledProcessDoesNotStopTheNextStart() throws Exception {
    Path socket = dir.resolve("stale.sock");
    java.nio.file.Files.writeString(socket, "left behind");
    try (HttpEdge again =
        HttpEdge.builder("again")
            .unix(socket)
            .route("GET", "/ok", c -> HttpAnswer.text(200, "text/plain", "ok"))
            .start()) {
      try (UnixSocketClient unix = new UnixSocketClient(socket)) {
        assertThat(unix.send("GET", "/ok", new byte[0], Duration.ofSeconds(5)).status())
            .isEqualTo(200);
      }
      assertThat(URI.create(again.uri().toString()).getPort()).isPositive();
    }
  }
}
