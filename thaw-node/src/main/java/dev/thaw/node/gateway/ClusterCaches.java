package dev.thaw.node.gateway;

import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.CacheReport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every node's snapshot cache, asked now: what {@code GET /caches} on the gateway answers. A node
 * that cannot be asked is named with why; the others still come.
 */
final class ClusterCaches {
  /**
   * The answer.
   *
   * @param caches each node's cache that answered, by node name
   * @param unreachable per node that could not be asked, why
   */
  record Answer(List<CacheReport> caches, Map<String, String> unreachable) {}

  private final Map<String, AgentClient> nodes;

  ClusterCaches(Map<String, AgentClient> nodes) {
    this.nodes = nodes;
  }

  Answer read() {
    List<CacheReport> caches = new ArrayList<>();
    Map<String, String> unreachable = new TreeMap<>();
    new TreeMap<>(nodes)
        .forEach(
            (name, agent) -> {
              try {
                CacheReport c = agent.cache();
                // The node's name as the gateway knows it, whatever the agent calls itself.
                caches.add(new CacheReport(name, c.capacityBytes(), c.usedBytes(), c.entries()));
              } catch (IOException | RuntimeException e) {
                unreachable.put(name, String.valueOf(e.getMessage()));
              }
            });
    return new Answer(caches, unreachable);
  }
}
