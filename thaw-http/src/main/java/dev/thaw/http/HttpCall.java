package dev.thaw.http;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * One request as a handler sees it: method, decoded path and the groups of the route's pattern,
 * decoded query parameters, headers, and the body.
 */
public final class HttpCall {
  private final Request request;
  private final Matcher route;
  private final byte[] body;
  private Fields query;

  HttpCall(Request request, Matcher route, byte[] body) {
    this.request = request;
    this.route = route;
    this.body = body;
  }

  public String method() {
    return request.getMethod();
  }

  /** The decoded path, e.g. {@code /functions/hello/invoke}. */
  public String path() {
    return request.getHttpURI().getDecodedPath();
  }

  /** Group {@code i} of the route's path pattern. */
  public String group(int i) {
    return route.group(i);
  }

  /** A query parameter, decoded; empty when absent. */
  public Optional<String> query(String name) {
    if (query == null) {
      query = Request.extractQueryParameters(request);
    }
    return Optional.ofNullable(query.getValue(name));
  }

  /** The raw query string as sent (still encoded), or empty. */
  public Optional<String> rawQuery() {
    return Optional.ofNullable(request.getHttpURI().getQuery());
  }

  /** The path as sent, still percent-encoded, without the query. */
  public String rawPath() {
    return request.getHttpURI().getPath();
  }

  /** Calls {@code sink} with each header line's name and value, in order. */
  public void headers(BiConsumer<String, String> sink) {
    request.getHeaders().forEach(f -> sink.accept(f.getName(), f.getValue()));
  }

  public Optional<String> header(String name) {
    return Optional.ofNullable(request.getHeaders().get(name));
  }

  /** The whole body (read, within the edge's bound, before the route ran). */
  public byte[] body() {
    return body;
  }

  public String bodyText() {
    return new String(body(), StandardCharsets.UTF_8);
  }
}
