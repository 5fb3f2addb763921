package dev.thaw.node.http;

import com.sun.net.httpserver.HttpExchange;
import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.json.JsonMapper;

/** Writing answers on the JDK's HTTP server, shared by the agent and the gateway. */
public final class HttpJson {
  public static final JsonMapper JSON = dev.thaw.node.protocol.AgentClient.JSON;

  private HttpJson() {}

  /** The revision a request path names; refused as INVALID (400) when it is not a valid one. */
  public static Revision revision(String name) {
    try {
      return Revision.of(name);
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
  }

  public static void json(HttpExchange exchange, int status, Object body) throws IOException {
    send(exchange, status, "application/json", JSON.writeValueAsString(body));
  }

  public static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }
}
