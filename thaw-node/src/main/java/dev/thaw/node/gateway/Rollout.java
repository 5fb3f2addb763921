package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes what the cluster runs: deploys a revision on every node at once, or deletes it from every
 * node, and records the outcome in the {@link Deployments} (a revision is recorded once one node
 * took it). A node that cannot be reached is named in the outcome with why; the others go on.
 */
final class Rollout {
  private static final Logger log = LoggerFactory.getLogger(Rollout.class);
  private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(10);

  private final Map<String, AgentClient> nodes;
  private final Deployments deployments;

  Rollout(Map<String, AgentClient> nodes, Deployments deployments) {
    this.nodes = nodes;
    this.deployments = deployments;
  }

  /** See {@link Gateway#deployEverywhere}. */
  Map<String, Gateway.Deployed> deploy(Revision revision, Object deployment, Duration timeout) {
    Map<String, CompletableFuture<Gateway.Deployed>> pending = new LinkedHashMap<>();
    nodes.forEach(
        (name, agent) ->
            pending.put(
                name,
                CompletableFuture.supplyAsync(
                    () -> deployOn(name, agent, revision, deployment, timeout))));
    Map<String, Gateway.Deployed> out = new LinkedHashMap<>();
    pending.forEach((name, f) -> out.put(name, f.join()));
    if (out.values().stream().noneMatch(d -> d.function() != null)) {
      Refused.Kind kind =
          out.values().stream().anyMatch(d -> d.refused())
              ? Refused.Kind.INVALID
              : Refused.Kind.FAILED;
      String why =
          out.entrySet().stream()
              .map(e -> e.getKey() + ": " + e.getValue().error())
              .collect(Collectors.joining("; "));
      throw new Refused(kind, "no node deployed " + revision + " (" + why + ")", null);
    }
    out.values().stream()
        .map(Gateway.Deployed::function)
        .filter(Objects::nonNull)
        .findFirst()
        .ifPresent(f -> deployments.put(revision, deployment, f));
    return out;
  }

  /** See {@link Gateway#redeployRecorded}. */
  Map<String, Optional<String>> redeployRecorded(Duration timeout) {
    Map<String, Optional<String>> out = new LinkedHashMap<>();
    for (Deployments.Entry e : deployments.all()) {
      try {
        deploy(Revision.of(e.revision()), e.deployment(), timeout);
        out.put(e.revision(), Optional.empty());
      } catch (Refused r) {
        out.put(e.revision(), Optional.of(r.getMessage()));
      }
    }
    return out;
  }

  /** See {@link Gateway#delete}. */
  Map<String, String> delete(Revision revision) {
    boolean known = deployments.remove(revision);
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, AgentClient> n : nodes.entrySet()) {
      try {
        boolean had = n.getValue().undeploy(revision, DELETE_TIMEOUT);
        known |= had;
        out.put(n.getKey(), had ? "deleted" : "not deployed");
      } catch (IOException e) {
        log.warn("cannot delete {} on {}: {}", revision, n.getKey(), e.getMessage());
        out.put(n.getKey(), "unreachable: " + e.getMessage());
      }
    }
    if (!known) {
      throw new Refused(
          Refused.Kind.UNKNOWN_REVISION, "no function deployed as revision " + revision, null);
    }
    return out;
  }

  private static Gateway.Deployed deployOn(
      String name, AgentClient agent, Revision revision, Object deployment, Duration timeout) {
    try {
      return new Gateway.Deployed(agent.deployAny(revision, deployment, timeout), null, false);
    } catch (Refused e) {
      log.warn("{} refused {}: {}", name, revision, e.getMessage());
      return new Gateway.Deployed(null, e.getMessage(), true);
    } catch (IOException e) {
      log.warn("cannot deploy {} on {}: {}", revision, name, e.getMessage());
      return new Gateway.Deployed(null, e.getMessage(), false);
    }
  }
}
