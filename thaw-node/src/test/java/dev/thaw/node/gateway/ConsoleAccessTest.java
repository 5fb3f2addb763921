package dev.thaw.node.gateway;

import static dev.thaw.node.gateway.OneNodeGateway.FN;
import static dev.thaw.node.gateway.OneNodeGateway.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's credential over real HTTP on 127.0.0.1 (gateway, agent, a {@link FakeVmm}): without
 * the token or a session, the console and every route it reads answer 401 with no data; the login
 * form turns the token into a session cookie that is not the token; a change made with the cookie
 * needs {@code X-Thaw-Console: 1}; a function never sees the session, and its answer is sandboxed.
 */
class ConsoleAccessTest {
  private static final List<String> DATA =
      List.of(
          "/functions", "/nodes", "/caches", "/functions/fn-1/invocations", "/functions/fn-1/logs");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private OneNodeGateway cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = OneNodeGateway.start(dir, OneNodeGateway::deployFn1, b -> b);
    // The gateway lists what it deployed.
    assertThat(send("PUT", "/functions/fn-1", FN, Map.of("Authorization", TOKEN.authorization())))
        .extracting(HttpResponse::statusCode)
        .isEqualTo(200);
  }

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private HttpResponse<String> send(
      String method, String target, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(cluster.server.uri() + target))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> logIn(String token) throws Exception {
    return send(
        "POST",
        "/ui/login",
        "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8),
        Map.of("Content-Type", "application/x-www-form-urlencoded"));
  }

  /** The {@code name=value} of the session cookie a successful login sets. */
  private String session() throws Exception {
    HttpResponse<String> in = logIn(TOKEN.value());
    assertThat(in.statusCode()).isEqualTo(303);
    return in.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
  }

  @Test
  void withoutACredentialTheConsoleAndItsDataAnswer401WithNoData() throws Exception {
    send("POST", "/functions/fn-1/invoke", null, Map.of());
    HttpResponse<String> page = send("GET", "/ui/", null, Map.of());
    assertThat(page.statusCode()).isEqualTo(401);
    assertThat(page.body()).contains("id=\"login-form\"").doesNotContain("fn-1");
    assertThat(page.headers().firstValue("Content-Security-Policy")).contains(Console.POLICY);
    for (String route : DATA) {
      HttpResponse<String> r = send("GET", route, null, Map.of());
      assertThat(r.statusCode()).as(route).isEqualTo(401);
      assertThat(r.body()).as(route).doesNotContain("fn-1\"").startsWith("{\"error\":");
      // A cookie that is no session does not do either.
      assertThat(send("GET", route, null, Map.of("Cookie", "thaw_console=" + "0".repeat(64))))
          .extracting(HttpResponse::statusCode)
          .isEqualTo(401);
    }
    HttpResponse<String> wrong = logIn(BearerToken.generate().value());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(wrong.body()).contains("id=\"login-error\"");
  }

  @Test
  void theLoginSetsASessionCookieThatIsNotTheTokenAndOpensTheConsole() throws Exception {
    HttpResponse<String> in = logIn(TOKEN.value());
    assertThat(in.statusCode()).isEqualTo(303);
    assertThat(in.headers().firstValue("Location")).contains("/ui/");
    String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie)
        .startsWith("thaw_console=")
        .contains("; HttpOnly", "; SameSite=Strict", "; Path=/")
        .doesNotContain(TOKEN.value());
    String session = cookie.split(";")[0];

    HttpResponse<String> page = send("GET", "/ui/", null, Map.of("Cookie", session));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("/ui/console.js");
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .contains(
            "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none';"
                + " frame-ancestors 'none'");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    for (String route : DATA) {
      assertThat(send("GET", route, null, Map.of("Cookie", session)).statusCode())
          .as(route)
          .isEqualTo(200);
    }
    assertThat(send("GET", "/caches", null, Map.of("Cookie", session)).body())
        .contains("\"node\":\"n1\"", "\"capacityBytes\":");
  }

  @Test
  void aChangeMadeWithTheCookieNeedsTheConsolesHeader() throws Exception {
    String session = session();
    HttpResponse<String> forged =
        send("PUT", "/functions/fn-2", FN.replace("\"fn\"", "\"fn2\""), Map.of("Cookie", session));
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1");
    HttpResponse<String> meant =
        send(
            "PUT",
            "/functions/fn-2",
            FN.replace("\"fn\"", "\"fn2\""),
            Map.of("Cookie", session, "X-Thaw-Console", "1"));
    assertThat(meant.statusCode()).as(meant.body()).isEqualTo(200);
    assertThat(cluster.agent.functions()).containsOnlyKeys("fn-1", "fn-2");

    // After the logout the cookie opens nothing.
    assertThat(send("POST", "/ui/logout", null, Map.of("Cookie", session)).statusCode())
        .isEqualTo(401);
    assertThat(
            send("POST", "/ui/logout", null, Map.of("Cookie", session, "X-Thaw-Console", "1"))
                .statusCode())
        .isEqualTo(303);
    assertThat(send("GET", "/functions", null, Map.of("Cookie", session)).statusCode())
        .isEqualTo(401);
    assertThat(send("GET", "/ui/", null, Map.of("Cookie", session)).statusCode()).isEqualTo(401);
  }

  @Test
  void aFunctionNeverSeesTheSessionAndItsAnswerIsSandboxedAndRemembered() throws Exception {
    String session = session();
    HttpResponse<String> r =
        send("GET", "/fn-1/page", null, Map.of("Cookie", "theirs=1; " + session + "; mine=2"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(cluster.vmm.lastRequest())
        .contains("cookie=theirs=1; mine=2 ")
        .doesNotContain("thaw_console")
        // Nor the management token the gateway shows its agent.
        .doesNotContain(TOKEN.value());
    send("GET", "/fn-1/page", null, Map.of("Authorization", "Bearer the-callers-own"));
    assertThat(cluster.vmm.lastRequest())
        .contains("authorization=Bearer the-callers-own ")
        .doesNotContain(TOKEN.value());
    assertThat(r.headers().firstValue("Content-Security-Policy").orElse(""))
        .startsWith("sandbox ")
        .doesNotContain("allow-same-origin");
    send("POST", "/functions/fn-1/invoke", null, Map.of("Cookie", session));
    assertThat(cluster.vmm.lastRequest()).doesNotContain("cookie");

    HttpResponse<String> invocations =
        send("GET", "/functions/fn-1/invocations", null, Map.of("Cookie", session));
    // All three, newest first: the oldest booted its instance.
    String body = invocations.body();
    assertThat(body.split("\"time\":")).hasSize(4);
    assertThat(body).contains("\"node\":\"n1\"", "\"status\":200");
    assertThat(body.substring(body.lastIndexOf('{'))).contains("\"kind\":\"boot\"");
  }
}
