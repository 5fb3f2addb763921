package dev.thaw.node.gateway;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.node.protocol.FunctionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code GET /functions} on the gateway answers: every recorded deployment joined with what
 * the nodes last showed of it, the nodes that cache its snapshot (by name) and its idle warm
 * instances across the cluster. A read model: it decides nothing and changes nothing.
 */
final class FunctionListing {
  private FunctionListing() {}

  static List<FunctionInfo> of(
      List<Deployments.Entry> deployed, Map<String, NodeViews.View> views) {
    List<FunctionInfo> out = new ArrayList<>();
    for (Deployments.Entry e : deployed) {
      List<String> cachedOn = new ArrayList<>();
      int warm = 0;
      for (Map.Entry<String, NodeViews.View> v : new TreeMap<>(views).entrySet()) {
        if (v.getValue().cached().contains(e.revision())) {
          cachedOn.add(v.getKey());
        }
        warm += v.getValue().warm().getOrDefault(e.revision(), 0);
      }
      FunctionSpec f = e.function();
      out.add(
          new FunctionInfo(
              e.revision(),
              e.image().orElse(""),
              f.image() == null ? "" : f.image().digest(),
              f.memoryMib(),
              cachedOn,
              warm));
    }
    return out;
  }
}
