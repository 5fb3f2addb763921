package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The readiness probe against a local HTTP server standing in for a guest. */
class GuestProbeTest {
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void aGuestAnswering200IsReadyAndItsAnswerKept() throws IOException {
    URI endpoint = serve(200, "{\"reseeded\":true}");
    GuestProbe.Result r =
        GuestProbe.await(
            endpoint, () -> "/_thaw/resume?seed=00&t=1", Duration.ofSeconds(5), () -> true);
    assertThat(r.outcome()).isEqualTo(GuestProbe.Outcome.READY);
    assertThat(r.body()).isEqualTo("{\"reseeded\":true}");
    assertThat(asked).containsExactly("/_thaw/resume?seed=00&t=1");
  }

  @Test
  void anotherStatusIsARefusalAtOnceNotARetry() throws IOException {
    URI endpoint = serve(404, "{\"error\":\"unknown handler\"}");
    GuestProbe.Result r =
        GuestProbe.await(endpoint, () -> "/_thaw/resume", Duration.ofSeconds(5), () -> true);
    assertThat(r.outcome()).isEqualTo(GuestProbe.Outcome.REFUSED);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.body()).contains("unknown handler");
    assertThat(asked).hasSize(1);
  }

  @Test
  void eachAttemptAsksForItsTargetAnew() throws IOException {
    // Nothing listens on the port at first: attempts fail until the server starts.
    URI endpoint = serve(200, "{}");
    int port = endpoint.getPort();
    server.stop(0);
    AtomicInteger attempts = new AtomicInteger();
    GuestProbe.Result r =
        GuestProbe.await(
            endpoint,
            () -> {
              int n = attempts.incrementAndGet();
              if (n == 3) {
                try {
                  serve(port, 200, "{}");
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
              return "/_thaw/resume?attempt=" + n;
            },
            Duration.ofSeconds(5),
            () -> true);
    assertThat(r.outcome()).isEqualTo(GuestProbe.Outcome.READY);
    assertThat(asked).containsExactly("/_thaw/resume?attempt=3");
  }

  @Test
  void aDeadVmmEndsTheProbe() {
    GuestProbe.Result r =
        GuestProbe.await(
            URI.create("http://127.0.0.1:9"), () -> "/health", Duration.ofSeconds(5), () -> false);
    assertThat(r.outcome()).isEqualTo(GuestProbe.Outcome.VMM_EXITED);
  }

  @Test
  void anEndlessAnswerIsCutOffAndTheProbeEndsAtItsTimeout() throws Exception {
    try (ServerSocket flood = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                while (!flood.isClosed()) {
                  try (Socket s = flood.accept()) {
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] junk = new byte[8192];
                    java.util.Arrays.fill(junk, (byte) 'x');
                    for (int i = 0; i < 1024; i++) {
                      out.write(junk); // 8 MiB of a head that never ends
                    }
                  } catch (IOException e) {
                    // the probe hung up, or the test is over
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      GuestProbe.Result r =
          GuestProbe.await(
              URI.create("http://127.0.0.1:" + flood.getLocalPort()),
              () -> "/health",
              Duration.ofSeconds(1),
              () -> true);
      assertThat(r.outcome()).isEqualTo(GuestProbe.Outcome.TIMED_OUT);
    }
  }

  @Test
  void anAnswerEndsWhereItsLengthSaysEvenOnAKeptConnection() throws Exception {
    try (ServerSocket kept = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                try (Socket s = kept.accept()) {
                  s.getOutputStream()
                      .write(
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                              .getBytes(StandardCharsets.US_ASCII));
                  s.getInputStream().read(); // holds the connection open until the probe closes
                } catch (IOException e) {
                  // the test is over
                }
              });
      t.setDaemon(true);
      t.start();
      GuestProbe.Result r =
          GuestProbe.await(
              URI.create("http://127.0.0.1:" + kept.getLocalPort()),
              () -> "/health",
              Duration.ofSeconds(30),
              () -> true);
      assertThat(r.outcome()).isEqualTo(GuestProbe.Outcome.READY);
      assertThat(r.body()).isEqualTo("ok");
    }
  }

  @Test
  void whatIsNoHttpAnswerIsNone() {
    assertThat(GuestProbe.parse("garbage").status()).isZero();
    assertThat(GuestProbe.parse("HTTP/1.1 abc\r\n\r\n").status()).isZero();
    assertThat(GuestProbe.parse("HTTP/1.1 200 OK\r\n").status()).isZero();
    assertThat(GuestProbe.parse("HTTP/1.1 503 No\r\nA: b\r\n\r\nbusy").body()).isEqualTo("busy");
  }

  private URI serve(int status, String body) throws IOException {
    return serve(0, status, body);
  }

  private URI serve(int port, int status, String body) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext(
        "/",
        exchange -> {
          asked.add(exchange.getRequestURI().toString());
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }
}
