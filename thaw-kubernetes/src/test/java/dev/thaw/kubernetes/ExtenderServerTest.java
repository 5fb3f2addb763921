package dev.thaw.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The extender's HTTP edge: routes, readiness, and clients that stall. */
class ExtenderServerTest {
  private static final String PRIORITIZE =
      "{\"Pod\":{\"metadata\":{\"labels\":{\"serving.knative.dev/revision\":\"r\"}}},"
          + "\"NodeNames\":[\"a\",\"b\"]}";

  private final AtomicReference<Optional<String>> notReady =
      new AtomicReference<>(Optional.empty());
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private ExtenderServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        ExtenderServer.builder(
                new SnapshotLocalityExtender(n -> n.equals("a") ? Set.of("r") : Set.of()),
                notReady::get)
            .readTimeout(Duration.ofMillis(700))
            .maxBodyBytes(64 << 10)
            .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void stalledClientsHoldNoWorker() throws Exception {
    // Each promises a large body and sends a few bytes: more of them than the old server's 4
    // workers, which they used to hold until they hung up. This server waits an hour for their
    // bodies, so an answer to anyone else within send()'s timeout means that none held a worker.
    try (ExtenderServer patient =
        ExtenderServer.builder(
                new SnapshotLocalityExtender(n -> n.equals("a") ? Set.of("r") : Set.of()),
                notReady::get)
            .readTimeout(Duration.ofHours(1))
            .maxBodyBytes(64 << 10)
            .start()) {
      List<Socket> stalled = stall(patient, 12);
      try {
        HttpResponse<String> health = send(patient.uri(), "GET", "/healthz", "");
        HttpResponse<String> scores = send(patient.uri(), "POST", "/prioritize", PRIORITIZE);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(scores.statusCode()).isEqualTo(200);
        assertThat(scores.body())
            .isEqualTo("[{\"Host\":\"a\",\"Score\":10},{\"Host\":\"b\",\"Score\":0}]");
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
    }
  }

  @Test
  void stalledClientsAreCutOffAfterTheReadTimeout() throws Exception {
    List<Socket> stalled = stall(server, 1);
    try {
      // Closed after the read timeout (700 ms here), with no scores: the stream ends, where one
      // left open would end this read with the socket's own, far longer, timeout.
      Socket first = stalled.get(0);
      first.setSoTimeout(30_000);
      InputStream in = first.getInputStream();
      assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).doesNotContain("200 OK");
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  /** {@code n} connections to {@code to}, each promising a large body and sending a few bytes. */
  private static List<Socket> stall(ExtenderServer to, int n) throws Exception {
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = new Socket("127.0.0.1", to.uri().getPort());
      stalled.add(s);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /prioritize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 60000\r\n\r\n{\"Pod\":")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    return stalled;
  }

  @Test
  void readinessIsReportedWithItsReasonAndPrioritizeWaitsForIt() throws Exception {
    notReady.set(Optional.of("NodeSnapshotCache objects not yet listed"));
    assertThat(send("GET", "/healthz", "").statusCode()).isEqualTo(200);
    HttpResponse<String> ready = send("GET", "/readyz", "");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body())
        .isEqualTo("{\"ready\":false,\"reason\":\"NodeSnapshotCache objects not yet listed\"}");
    HttpResponse<String> scores = send("POST", "/prioritize", PRIORITIZE);
    assertThat(scores.statusCode()).isEqualTo(503);
    assertThat(scores.body())
        .isEqualTo("{\"error\":\"extender not ready: NodeSnapshotCache objects not yet listed\"}");

    notReady.set(Optional.empty());
    assertThat(send("GET", "/readyz", "").body()).isEqualTo("{\"ready\":true}");
    assertThat(send("POST", "/prioritize", PRIORITIZE).statusCode()).isEqualTo(200);
  }

  @Test
  void badRequestsAndUnknownRoutesGetJsonErrorsAndMetricsCountThem() throws Exception {
    HttpResponse<String> bad = send("POST", "/prioritize", "{not json");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).startsWith("{\"error\":\"cannot read the prioritize request: ");
    // Refused on its declared Content-Length, before any of the body is sent: the answer cannot
    // race the server closing a connection whose body it did not read.
    try (Socket socket = new Socket(server.uri().getHost(), server.uri().getPort())) {
      socket.setSoTimeout(3000);
      socket
          .getOutputStream()
          .write(
              ("POST /prioritize HTTP/1.1\r\nHost: x\r\nContent-Length: " + (65 << 10) + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 413");
    }
    assertThat(send("GET", "/nowhere", "").statusCode()).isEqualTo(404);
    assertThat(send("DELETE", "/healthz", "").statusCode()).isEqualTo(405);
    send("POST", "/prioritize", PRIORITIZE);

    HttpResponse<String> metrics = send("GET", "/metrics", "");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(metrics.body())
        .contains("thaw_extender_prioritize_requests_total 2.0")
        .contains("thaw_extender_prioritize_failures_total 1.0")
        .contains("thaw_extender_ready 1.0");
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return send(server.uri(), method, path, body);
  }

  private HttpResponse<String> send(URI base, String method, String path, String body)
      throws Exception {
    URI uri = base.resolve(path);
    return http.send(
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(3))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
