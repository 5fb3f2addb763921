package dev.thaw.node.gateway;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import dev.thaw.http.SessionCookies;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The gateway's browser console at {@code /ui/}: three static files (a page, its script and its
 * style, from {@code dev/thaw/node/console/} on the class path) and the login that turns the
 * management token into a session cookie ({@link SessionCookies}). Every figure the page shows it
 * fetches from the gateway's JSON routes, as any client would; nothing here renders data.
 *
 * <pre>
 *   GET  /ui/         the console; without a session 401 and the login form (no data in either)
 *   GET  /ui/login    the login form
 *   POST /ui/login    form field token: the right one sets the session cookie and redirects
 *                     (303) to /ui/; a wrong one gets 401 and the form again
 *   POST /ui/logout   ends the session (needs the session and X-Thaw-Console: 1)
 *   GET  /ui/console.js, /ui/console.css
 * </pre>
 *
 * Every answer here carries {@link #POLICY} as its {@code Content-Security-Policy}: scripts and
 * styles from this origin only, none inline, no plugins, no framing; and {@code
 * X-Content-Type-Options: nosniff}.
 */
final class Console {
  /** What the console's pages may load and run. */
  static final String POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none';"
          + " frame-ancestors 'none'";

  private static final String HTML = "text/html; charset=utf-8";
  private static final String WRONG =
      "<p class=\"error\" id=\"login-error\">That is not the management token.</p>";

  private final BearerToken token;
  private final SessionCookies sessions;
  private final String page = resource("index.html");
  private final String login = resource("login.html");
  private final String script = resource("console.js");
  private final String style = resource("console.css");

  private Console(BearerToken token, SessionCookies sessions) {
    this.token = token;
    this.sessions = sessions;
  }

  /** Adds the console's routes to {@code edge}: its login and pages check the session here. */
  static HttpEdge.Builder routes(
      HttpEdge.Builder edge, BearerToken token, SessionCookies sessions) {
    Console c = new Console(token, sessions);
    return edge.openRoute("GET", "/ui", r -> redirect("/ui/"))
        .openRoute("GET", "/ui/", c::page)
        .openRoute("GET", "/ui/login", r -> c.login(200, ""))
        .openRoute("POST", "/ui/login", c::logIn)
        .route("POST", "/ui/logout", c::logOut)
        .openRoute("GET", "/ui/console\\.js", r -> secured(200, "text/javascript", c.script))
        .openRoute("GET", "/ui/console\\.css", r -> secured(200, "text/css", c.style));
  }

  /**
   * {@code request} without the console's session cookie: a function gets the caller's other
   * cookies, never the session that manages the cluster.
   */
  static FunctionRequest withoutSession(FunctionRequest request) {
    String cookie = request.headers().get("Cookie");
    if (cookie == null || !cookie.contains(SessionCookies.NAME)) {
      return request;
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(request.headers());
    headers.remove("Cookie");
    SessionCookies.without(cookie).ifPresent(c -> headers.put("Cookie", c));
    return new FunctionRequest(request.method(), request.path(), headers, request.body());
  }

  private HttpAnswer page(HttpCall call) {
    return sessions.admits(call.header("Cookie")) ? secured(200, HTML, page) : login(401, "");
  }

  private HttpAnswer login(int status, String error) {
    return secured(status, HTML, login.replace("<!--error-->", error));
  }

  private HttpAnswer logIn(HttpCall call) {
    Optional<String> presented = field(call.bodyText(), "token");
    if (presented.isPresent()
        && token.judge(Optional.of("Bearer " + presented.get())) == BearerToken.Verdict.ACCEPTED) {
      return redirect("/ui/").withHeader("Set-Cookie", sessions.open());
    }
    return login(401, WRONG);
  }

  private HttpAnswer logOut(HttpCall call) {
    sessions.end(call.header("Cookie"));
    return redirect("/ui/login").withHeader("Set-Cookie", SessionCookies.cleared());
  }

  /** A field of an {@code application/x-www-form-urlencoded} body. */
  static Optional<String> field(String form, String name) {
    try {
      return Stream.of(form.split("&"))
          .filter(p -> p.startsWith(name + "="))
          .map(p -> URLDecoder.decode(p.substring(name.length() + 1), StandardCharsets.UTF_8))
          .findFirst();
    } catch (IllegalArgumentException e) {
      // A malformed escape: no token at all.
      return Optional.empty();
    }
  }

  private static HttpAnswer redirect(String to) {
    return secured(303, "text/plain", "").withHeader("Location", to);
  }

  private static HttpAnswer secured(int status, String type, String body) {
    return HttpAnswer.text(status, type, body)
        .withHeader("Content-Security-Policy", POLICY)
        .withHeader("X-Content-Type-Options", "nosniff")
        .withHeader("Referrer-Policy", "no-referrer")
        .withHeader("Cache-Control", "no-store");
  }

  private static String resource(String name) {
    try (InputStream in = Console.class.getResourceAsStream("/dev/thaw/node/console/" + name)) {
      if (in == null) {
        throw new IllegalStateException("the console's " + name + " is not on the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
