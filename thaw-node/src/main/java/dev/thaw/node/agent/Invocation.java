package dev.thaw.node.agent;

import dev.thaw.node.protocol.Served;
import java.nio.charset.StandardCharsets;

/**
 * The outcome of one invocation on a node.
 *
 * @param status the function's HTTP status
 * @param contentType the function's content type; empty when it named none
 * @param content the function's answer, as it sent it
 * @param served where and how it ran
 */
public record Invocation(int status, String contentType, byte[] content, Served served) {
  /** The answer as UTF-8 text. */
  public String body() {
    return new String(content, StandardCharsets.UTF_8);
  }
}
