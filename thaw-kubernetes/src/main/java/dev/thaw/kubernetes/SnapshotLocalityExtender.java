package dev.thaw.kubernetes;

import dev.thaw.core.placement.NodeScore;
import dev.thaw.core.placement.NodeState;
import dev.thaw.core.placement.PlacementScorer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code prioritize} verb of a kube-scheduler extender (k8s.io/kube-scheduler/extender/v1):
 * scores candidate nodes by whether they cache the pod's revision.
 *
 * <p>Request ({@code ExtenderArgs}): {@code {"Pod": {...}, "Nodes": {"items": [...]}, "NodeNames":
 * [...]}} — with {@code nodeCacheCapable: true} only {@code NodeNames} is set; either may be {@code
 * null}. Response ({@code HostPriorityList}): {@code [{"Host": name, "Score": 0..10}]}. Load is the
 * scheduler's own business (its plugins score it); the extender adds locality only, through the
 * shared {@link PlacementScorer} with load-neutral node states, so a caching node scores 10 and
 * others 0. Pods without a revision get {@code []} at once.
 */
public final class SnapshotLocalityExtender {
  /** Knative's revision label; Thaw's own annotation for pods outside Knative. */
  public static final String KNATIVE_REVISION = "serving.knative.dev/revision";

  public static final String THAW_REVISION = "thaw.dev/revision";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Function<String, Set<String>> cachedRevisions;
  private final PlacementScorer scorer = PlacementScorer.snapshotAware(1.0);

  /**
   * @param cachedRevisions the revisions a node caches (from the informer's store; empty when the
   *     node has no object)
   */
  public SnapshotLocalityExtender(Function<String, Set<String>> cachedRevisions) {
    this.cachedRevisions = cachedRevisions;
  }

  /** Answers one prioritize request body with the response body. */
  public String prioritize(String requestJson) {
    JsonNode args = JSON.readTree(requestJson);
    Optional<String> revision = revision(args.path("Pod"));
    if (revision.isEmpty()) {
      return "[]";
    }
    List<NodeState> nodes = new ArrayList<>();
    for (String name : nodeNames(args)) {
      nodes.add(new NodeState(name, true, 0, 1, cachedRevisions.apply(name)));
    }
    Map<String, Integer> scores = new LinkedHashMap<>();
    for (NodeScore s : scorer.score(revision.get(), nodes)) {
      scores.put(s.node(), s.extenderScore());
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (NodeState n : nodes) {
      Map<String, Object> priority = new LinkedHashMap<>();
      priority.put("Host", n.node());
      priority.put("Score", scores.getOrDefault(n.node(), 0));
      out.add(priority);
    }
    return JSON.writeValueAsString(out);
  }

  static Optional<String> revision(JsonNode pod) {
    JsonNode metadata = pod.path("metadata");
    for (JsonNode source : List.of(metadata.path("labels"), metadata.path("annotations"))) {
      for (String key : List.of(KNATIVE_REVISION, THAW_REVISION)) {
        JsonNode v = source.get(key);
        if (v != null && v.isString() && !v.asString().isBlank()) {
          return Optional.of(v.asString());
        }
      }
    }
    return Optional.empty();
  }

  static List<String> nodeNames(JsonNode args) {
    List<String> names = new ArrayList<>();
    JsonNode nodeNames = args.get("NodeNames");
    if (nodeNames != null && nodeNames.isArray()) {
      nodeNames.forEach(n -> names.add(n.asString()));
      return names;
    }
    JsonNode items = args.path("Nodes").path("items");
    if (items.isArray()) {
      items.forEach(n -> names.add(n.path("metadata").path("name").asString()));
    }
    return names;
  }
}
