package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A function's logs from every node, merged by time: what {@code GET /functions/NAME/logs} on the
 * gateway answers and {@code thaw logs} prints.
 *
 * <p>Each node's lines carry its own strictly increasing times, so a follower keeps one cursor per
 * node ({@code cursor=node-1:T1,node-2:T2}) and misses nothing a slow node reports late. A node
 * that cannot be asked is named in the answer with why; the others' lines still come.
 */
public final class ClusterLogs {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /**
   * The merged answer.
   *
   * @param lines oldest first
   * @param cursor per node, the time of the last line read from it ({@code node-1:T1,…}), to send
   *     back as {@code cursor} for what comes next
   * @param unreachable per node that could not be asked, why
   */
  public record Answer(List<LogLine> lines, String cursor, Map<String, String> unreachable) {}

  private final Map<String, AgentClient> nodes;

  ClusterLogs(Map<String, AgentClient> nodes) {
    this.nodes = nodes;
  }

  /**
   * The lines of {@code revision} that {@code query} asks for from every node; {@code after}
   * overrides the query's own per node.
   *
   * @throws Refused UNKNOWN_REVISION when every node answered and none has the revision
   */
  Answer read(Revision revision, LogQuery query, Map<String, Long> after) {
    List<LogLine> lines = new ArrayList<>();
    Map<String, Long> cursor = new TreeMap<>(after);
    Map<String, String> unreachable = new TreeMap<>();
    int[] deployed = {0};
    nodes.forEach(
        (name, agent) -> {
          try {
            Optional<List<LogLine>> answer =
                agent.logs(revision, query.after(after.getOrDefault(name, query.after())), TIMEOUT);
            if (answer.isEmpty()) {
              return;
            }
            deployed[0]++;
            List<LogLine> got = answer.get();
            lines.addAll(got);
            if (!got.isEmpty()) {
              cursor.put(name, got.get(got.size() - 1).time());
            }
          } catch (IOException e) {
            unreachable.put(name, e.getMessage());
          }
        });
    if (deployed[0] == 0 && unreachable.isEmpty()) {
      throw new Refused(Refused.Kind.UNKNOWN_REVISION, "no node runs " + revision, null);
    }
    lines.sort(Comparator.comparingLong(LogLine::time).thenComparing(LogLine::node));
    Optional<Integer> tail = query.tail();
    List<LogLine> kept =
        tail.isPresent() && lines.size() > tail.get()
            ? lines.subList(lines.size() - tail.get(), lines.size())
            : lines;
    StringBuilder next = new StringBuilder();
    cursor.forEach(
        (n, t) -> next.append(next.length() == 0 ? "" : ",").append(n).append(':').append(t));
    return new Answer(List.copyOf(kept), next.toString(), unreachable);
  }

  /**
   * Reads a cursor {@code node-1:T1,node-2:T2}.
   *
   * @throws IllegalArgumentException naming what is malformed
   */
  static Map<String, Long> cursor(String text) {
    Map<String, Long> out = new TreeMap<>();
    if (text.isBlank()) {
      return out;
    }
    for (String part : text.split(",")) {
      int colon = part.lastIndexOf(':');
      try {
        out.put(part.substring(0, colon), Long.parseLong(part.substring(colon + 1)));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("a log cursor is NODE:TIME,…, not '" + text + "'", e);
      }
    }
    return out;
  }
}
