package dev.thaw.http;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Jetty handler of an {@link HttpEdge}: finds a request's route, asks for the token, bounds
 * and reads the body without holding a thread, runs the route on a pool thread and writes its
 * answer; refusals and errors become JSON answers here.
 */
final class EdgeDispatcher extends org.eclipse.jetty.server.Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(HttpEdge.class);

  /** Where a request goes: a route, or an answer given before any route runs. */
  private sealed interface Routing {}

  private record Found(HttpEdge.Route route, Matcher path) implements Routing {}

  private record Answered(HttpAnswer answer) implements Routing {}

  private final List<HttpEdge.Route> routes;
  private final Function<RuntimeException, Optional<HttpAnswer>> errors;
  private final long maxBodyBytes;
  private final Optional<BearerToken> token;
  private final Optional<SessionCookies> sessions;
  private final Connector guarded;

  /**
   * The longest refused body read to its end before the answer (costs the caller's upload time and
   * no memory: each chunk is dropped as it comes).
   */
  static final long DRAIN_BYTES = 64L << 20;

  EdgeDispatcher(
      List<HttpEdge.Route> routes,
      Function<RuntimeException, Optional<HttpAnswer>> errors,
      long maxBodyBytes,
      Optional<BearerToken> token,
      Optional<SessionCookies> sessions,
      Connector guarded) {
    // Blocking: Jetty calls it on a pool thread, where a route may block (a cold start).
    super(InvocationType.BLOCKING);
    this.routes = routes;
    this.errors = errors;
    this.maxBodyBytes = maxBodyBytes;
    this.token = token;
    this.sessions = sessions;
    this.guarded = guarded;
  }

  /**
   * Reads the body without holding a thread (a client that stalls costs a buffer, not a worker),
   * then runs the route on a pool thread, where it may block.
   */
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Routing routing = route(request);
    if (routing instanceof Answered a) {
      refuse(request, response, callback, a.answer());
      return true;
    }
    Found found = (Found) routing;
    if (request.getLength() > maxBodyBytes) {
      refuse(request, response, callback, tooLarge());
      return true;
    }
    if (!hasBody(request)) {
      // No body to wait for (most calls): the route runs on this thread, one handoff fewer.
      respond(response, callback, answer(request, found, new byte[0]));
      return true;
    }
    Content.Source.asByteArrayAsync(
        new BoundedSource(request, maxBodyBytes),
        (int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1),
        Promise.Invocable.from(
            InvocationType.NON_BLOCKING,
            (byte[] body, Throwable failure) -> {
              if (failure == null) {
                request
                    .getContext()
                    .execute(() -> respond(response, callback, answer(request, found, body)));
              } else if (failure instanceof BoundedSource.TooLarge) {
                // A chunked body without a length, past the bound as it came.
                respond(response, callback, unread(request, tooLarge()));
              } else {
                // The client went away or stalled past the read timeout: nobody to answer.
                callback.failed(failure);
              }
            }));
    return true;
  }

  /**
   * Whether {@code request} has a body to read. In HTTP/1.1 (all the edge serves) a request has a
   * body only when it says so, with a {@code Content-Length} above 0 or a {@code Transfer-Encoding}
   * (RFC 9112, section 6.3): a {@code GET} that names neither, as a plain invocation through the
   * gateway is, has none, and its route runs at once rather than after a read of nothing handed to
   * another thread.
   */
  private static boolean hasBody(Request request) {
    long length = request.getLength();
    return length > 0
        || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
  }

  /**
   * Answers a request refused before its body was read. A body of a declared length up to {@link
   * #DRAIN_BYTES} is read to its end first and dropped, so the client, still sending, reads the
   * answer rather than a reset (closing a socket with unread bytes resets it) and keeps its
   * connection. A longer or unsized body is not waited for: the connection closes after the answer.
   */
  private static void refuse(
      Request request, Response response, Callback callback, HttpAnswer answer) {
    long length = request.getLength();
    if (length <= 0 || length > DRAIN_BYTES) {
      respond(response, callback, unread(request, answer));
      return;
    }
    Content.Source.consumeAll(
        request,
        Callback.from(
            () -> respond(response, callback, answer),
            failure -> respond(response, callback, unread(request, answer))));
  }

  /**
   * {@code answer} to a request whose body is left unread: the connection closes after it, and says
   * so, since the rest of the body is still on its way. Without the header a client would send its
   * next request on a connection the server is closing.
   */
  private static HttpAnswer unread(Request request, HttpAnswer answer) {
    return request.getLength() == 0 ? answer : answer.withHeader("Connection", "close");
  }

  private HttpAnswer tooLarge() {
    return HttpAnswer.error(413, "request body larger than " + maxBodyBytes + " bytes");
  }

  private HttpAnswer answer(Request request, Found found, byte[] body) {
    try {
      return found.route().handler().handle(new HttpCall(request, found.path(), body));
    } catch (HttpRefusal e) {
      return HttpAnswer.error(e.status(), e.getMessage());
    } catch (RuntimeException e) {
      return errors.apply(e).orElseGet(() -> unexpected(request, e));
    } catch (Exception e) {
      return unexpected(request, e);
    }
  }

  private static void respond(Response response, Callback callback, HttpAnswer answer) {
    response.setStatus(answer.status());
    answer.headers().forEach((k, v) -> response.getHeaders().put(k, v));
    if (answer.body().length > 0) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
    }
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
    response.write(true, ByteBuffer.wrap(answer.body()), callback);
  }

  /** The route that serves {@code request}, or the refusal it gets before any route runs. */
  private Routing route(Request request) {
    String path = request.getHttpURI().getDecodedPath();
    boolean pathKnown = false;
    for (HttpEdge.Route r : routes) {
      Matcher m = r.path().matcher(path == null ? "" : path);
      if (m.matches()) {
        pathKnown = true;
        if (r.method().equals("*") || r.method().equals(request.getMethod())) {
          return admit(request, r) ? new Found(r, m) : new Answered(unauthorized(request));
        }
      }
    }
    return new Answered(
        pathKnown
            ? HttpAnswer.error(405, "method " + request.getMethod() + " not allowed on " + path)
            : HttpAnswer.error(404, "no such endpoint: " + request.getMethod() + " " + path));
  }

  private boolean admit(Request request, HttpEdge.Route route) {
    return route.open()
        || token.isEmpty()
        || request.getConnectionMetaData().getConnector() != guarded
        || verdict(request) == BearerToken.Verdict.ACCEPTED
        || sessions.filter(s -> session(s, request)).isPresent();
  }

  /** A browser's session: its cookie, and for a change the header no other site can set. */
  private static boolean session(SessionCookies sessions, Request request) {
    return sessions.admits(Optional.ofNullable(request.getHeaders().get(HttpHeader.COOKIE)))
        && SessionCookies.intended(
            request.getMethod(),
            Optional.ofNullable(request.getHeaders().get(SessionCookies.HEADER)));
  }

  private BearerToken.Verdict verdict(Request request) {
    return token
        .orElseThrow()
        .judge(Optional.ofNullable(request.getHeaders().get(HttpHeader.AUTHORIZATION)));
  }

  private HttpAnswer unauthorized(Request request) {
    return verdict(request) == BearerToken.Verdict.MISSING
        ? HttpAnswer.error(401, "this route needs the management token (Authorization: Bearer)")
            .withHeader("WWW-Authenticate", "Bearer")
        : HttpAnswer.error(401, "wrong token")
            .withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  }

  private static HttpAnswer unexpected(Request request, Exception e) {
    log.error("{} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
    return HttpAnswer.error(500, String.valueOf(e.getMessage()));
  }
}
