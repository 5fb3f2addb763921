package dev.thaw.node.agent;

import dev.thaw.node.snapshot.ColdStart;
import java.time.Duration;
import java.util.Optional;

/**
 * The outcome of one invocation on a node.
 *
 * @param status the function's HTTP status
 * @param body the function's answer
 * @param instance the instance that served it
 * @param coldStart how the instance was started, when this invocation started it
 * @param latency from the agent receiving the request to the function's answer
 */
public record Invocation(
    int status, String body, String instance, Optional<ColdStartInfo> coldStart, Duration latency) {

  /** Phases of a cold start, for per-phase latency records. */
  public record ColdStartInfo(
      ColdStart.Source source, Duration fetch, Duration startup, Optional<String> fallback) {
    static ColdStartInfo of(ColdStart c) {
      return new ColdStartInfo(c.source(), c.fetch(), c.startup(), c.fallback());
    }
  }
}
