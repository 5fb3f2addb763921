package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests through {@link FunctionClient} to a real HTTP server on 127.0.0.1. */
class FunctionClientTest {
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(5));
  private final AtomicReference<String> seen = new AtomicReference<>();
  private HttpServer server;
  private URI endpoint;
  private volatile byte[] answer;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        e -> {
          byte[] body = e.getRequestBody().readAllBytes();
          seen.set(
              e.getRequestMethod()
                  + " "
                  + e.getRequestURI().getRawPath()
                  + (e.getRequestURI().getRawQuery() == null
                      ? ""
                      : "?" + e.getRequestURI().getRawQuery())
                  + " type="
                  + e.getRequestHeaders().getFirst("Content-Type")
                  + " custom="
                  + e.getRequestHeaders().getFirst("X-Custom"));
          byte[] out = answer != null ? answer : body;
          e.getResponseHeaders().set("Content-Type", "application/x-echo");
          e.sendResponseHeaders(201, out.length == 0 ? -1 : out.length);
          e.getResponseBody().write(out);
          e.close();
        });
    server.start();
    endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void aBinaryBodyMethodAndHeadersArriveAndComeBackUnchanged() {
    byte[] body = new byte[256];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) i; // every byte value, most of them not UTF-8 on their own
    }
    FunctionClient.Response r =
        client.call(
            endpoint,
            new FunctionRequest(
                "put",
                "/up?x=1",
                Map.of("Content-Type", "application/octet-stream", "X-Custom", "yes"),
                body));
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.contentType()).isEqualTo("application/x-echo");
    assertThat(r.content()).isEqualTo(body);
    assertThat(seen.get()).isEqualTo("PUT /up?x=1 type=application/octet-stream custom=yes");
  }

  @Test
  void aPatchArrivesWithItsBody_asEveryOtherMethodARestApiUses() {
    FunctionClient.Response r =
        client.call(
            endpoint,
            new FunctionRequest(
                "patch",
                "/items/1?x=1",
                Map.of("Content-Type", "application/json-patch+json"),
                "[{}]".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.contentType()).isEqualTo("application/x-echo");
    assertThat(r.body()).isEqualTo("[{}]");
    assertThat(seen.get())
        .isEqualTo("PATCH /items/1?x=1 type=application/json-patch+json custom=null");
    for (String method : FunctionRequest.METHODS) {
      byte[] body = method.equals("GET") || method.equals("HEAD") ? new byte[0] : new byte[] {1};
      client.call(endpoint, new FunctionRequest(method, "/m", Map.of(), body));
      assertThat(seen.get()).startsWith(method + " /m ");
    }
  }

  @Test
  @Timeout(30)
  void aFunctionSilentPastTheTimeoutTimesOut_whateverTheMethod() {
    // The function answers only once the client has given up: an answer cannot beat the timeout,
    // and a client that ignored its timeout would wait here until the test's own timeout.
    CountDownLatch givenUp = new CountDownLatch(1);
    server.createContext(
        "/slow",
        e -> {
          try {
            givenUp.await();
          } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
          }
          e.sendResponseHeaders(200, -1);
          e.close();
        });
    try {
      for (String method : new String[] {"GET", "PATCH"}) {
        assertThatThrownBy(
                () ->
                    client.call(
                        endpoint,
                        new FunctionRequest(method, "/slow", Map.of(), new byte[0]),
                        Duration.ofMillis(300)))
            .isInstanceOf(FunctionClient.TimedOut.class)
            .hasMessageContaining("did not answer within 300 ms")
            .satisfies(
                e ->
                    assertThat(((FunctionClient.TimedOut) e).timeout())
                        .isEqualTo(Duration.ofMillis(300)));
      }
    } finally {
      givenUp.countDown();
    }
  }

  @Test
  void aRefusedConnectionIsAFailureNotATimeout() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, null)) {
      closed = s.getLocalPort();
    }
    URI nobody = URI.create("http://127.0.0.1:" + closed);
    assertThatThrownBy(() -> client.get(nobody, "/"))
        .isInstanceOf(UncheckedIOException.class)
        .isNotInstanceOf(FunctionClient.TimedOut.class);
  }

  @Test
  void escapesInThePathAndQueryGoAsSent_illegalCharactersAreEncoded() {
    client.get(endpoint, "/a%2Fb/c d?q=x%20y&r=100%");
    assertThat(seen.get()).startsWith("GET /a%2Fb/c%20d?q=x%20y&r=100%25 ");
    client.get(endpoint, "/caf\u00e9");
    assertThat(seen.get()).startsWith("GET /caf%C3%A9 ");
  }

  @Test
  void anAnswerLongerThanTheBoundFails() {
    answer = new byte[FunctionRequest.MAX_BODY_BYTES + 1];
    assertThatThrownBy(() -> client.get(endpoint, "/"))
        .isInstanceOf(UncheckedIOException.class)
        .hasStackTraceContaining("longer than");
  }

  @Test
  void requestsAreValidated() {
    for (String refused : new String[] {"CONNECT", "TRACE", "PROPFIND"}) {
      assertThatThrownBy(() -> new FunctionRequest(refused, "/", Map.of(), new byte[0]))
          .hasMessageContaining(refused + " is not one a function is invoked with");
    }
    assertThatThrownBy(() -> new FunctionRequest("GET", "/", Map.of(), new byte[1]))
        .hasMessageContaining("carries no body");
    assertThatThrownBy(() -> new FunctionRequest("POST", "//evil/", Map.of(), new byte[0]))
        .hasMessageContaining("names no host");
    assertThatThrownBy(
            () ->
                new FunctionRequest(
                    "POST", "/", Map.of(), new byte[FunctionRequest.MAX_BODY_BYTES + 1]))
        .hasMessageContaining("at most");
    assertThat(new FunctionRequest("post", "/", Map.of("content-type", "a/b"), new byte[0]))
        .satisfies(
            r -> {
              assertThat(r.method()).isEqualTo("POST");
              assertThat(r.contentType()).hasValue("a/b");
            });
  }

  @Test
  void onlyTheSafeHeadersTravel() {
    Map<String, String> in =
        Map.of(
            "Content-Type", "text/plain",
            "Accept", "*/*",
            "X-Request-Id", "42",
            "X-Thaw-Method", "DELETE",
            "X-Forwarded-For", "1.2.3.4",
            "Connection", "close",
            "Transfer-Encoding", "chunked",
            "Host", "elsewhere",
            "Accept-Encoding", "gzip",
            "X-Bad", "a\nb");
    Map<String, String> out = FunctionHeaders.select(sink -> in.forEach(sink));
    assertThat(out)
        .containsOnlyKeys("Content-Type", "Accept", "X-Request-Id")
        .containsEntry("x-request-id", "42");
  }
}
