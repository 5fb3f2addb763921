package dev.thaw.node.protocol;

import java.util.Objects;

/**
 * One line a function wrote, as the agent and the gateway serve it ({@code GET
 * /functions/NAME/logs}).
 *
 * @param time when the host read it, in nanoseconds since the epoch; strictly increasing on one
 *     node, so a reader can ask for what came after the last line it has
 * @param node the node of the instance that wrote it
 * @param instance the VM that wrote it
 * @param stream {@code stdout} or {@code stderr}
 * @param text the line, without its end
 */
public record LogLine(long time, String node, String instance, String stream, String text) {
  public LogLine {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(text, "text");
  }
}
