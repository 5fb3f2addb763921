package dev.thaw.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a handler answers: a status, headers and a body, written in one go.
 *
 * @param status the HTTP status
 * @param contentType the body's media type
 * @param headers further headers, in order
 * @param body the body; empty for none
 */
public record HttpAnswer(int status, String contentType, Map<String, String> headers, byte[] body) {
  /** The JSON mapping answers are written with. */
  public static final JsonMapper JSON = JsonMapper.builder().build();

  public HttpAnswer {
    Objects.requireNonNull(contentType, "contentType");
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** {@code value} as JSON. */
  public static HttpAnswer json(int status, Object value) {
    return new HttpAnswer(
        status,
        "application/json",
        Map.of(),
        JSON.writeValueAsBytes(Objects.requireNonNull(value)));
  }

  /** An error status with {@code {"error": reason}}. */
  public static HttpAnswer error(int status, String reason) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", reason == null ? "" : reason);
    return json(status, body);
  }

  public static HttpAnswer text(int status, String contentType, String body) {
    return new HttpAnswer(status, contentType, Map.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  /** This answer with one more header. */
  public HttpAnswer withHeader(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new HttpAnswer(status, contentType, more, body);
  }
}
