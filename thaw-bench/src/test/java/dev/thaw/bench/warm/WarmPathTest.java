package dev.thaw.bench.warm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WarmPathTest {
  private HttpServer server;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private URI base;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        x -> {
          seen.add(
              x.getRequestMethod()
                  + " "
                  + x.getRequestURI()
                  + " "
                  + x.getRequestHeaders().getFirst("Authorization"));
          int status = x.getRequestURI().getPath().equals("/missing") ? 404 : 200;
          byte[] body = "hello".getBytes();
          x.sendResponseHeaders(status, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    server.start();
    base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void aKeptAliveRequestCarriesTheMethodTargetAndHeaders() throws Exception {
    WarmPath p = new WarmPath("agent", base, "POST", "/invoke", "Authorization: Bearer t\r\n");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    assertThat(p.timeKeptAlive(http)).isPositive();
    assertThat(seen).containsExactly("POST /invoke Bearer t");
  }

  @Test
  void aNewConnectionRequestCarriesTheMethodTargetAndHeaders() throws Exception {
    WarmPath p = new WarmPath("agent", base, "POST", "/invoke", "Authorization: Bearer t\r\n");
    assertThat(p.timeNewConnection()).isPositive();
    assertThat(seen).containsExactly("POST /invoke Bearer t");
  }

  @Test
  void anAnswerOtherThan200IsAFailureNamingThePath() {
    WarmPath p = new WarmPath("gateway", base, "GET", "/missing", "");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    assertThatThrownBy(() -> p.timeKeptAlive(http)).hasMessage("gateway answered 404");
    assertThatThrownBy(p::timeNewConnection)
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("gateway answered 'HTTP/1.1 404");
  }
}
