package dev.thaw.node.gateway;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.Refused;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Carries one invocation to a node: offers it to the nodes in the {@link Placement}'s order, the
 * next one whenever a node answers that it is full. When placement by expected time expects an
 * instance busy now to serve it before any new one could, it waits in the queue for it. When every
 * node is full, the invocation waits in its revision's {@link InvocationQueue}, as Knative's
 * activator buffers a burst: it is retried as soon as an invocation through this gateway finishes
 * (an instance is idle again, or can make room) and every {@link InvocationQueue#RETRY} meanwhile,
 * until it is served or the queue timeout passes. It keeps the {@link NodeViews} current with what
 * each call shows: a node that fails is down, a node that served has a warm instance, and every
 * answer wakes whoever waits in the queue.
 */
final class InvocationRouter {
  private final Map<String, AgentClient> nodes;
  private final NodeViews views;
  private final Placement placement;
  private final InvocationQueue queue;
  private final Deployments deployments;
  private final Duration coldStartTimeout;

  /**
   * @param coldStartTimeout how long a node may take to start an instance; the router waits that
   *     long plus the function's own timeout for a node's answer
   */
  InvocationRouter(
      Map<String, AgentClient> nodes,
      NodeViews views,
      Placement placement,
      InvocationQueue queue,
      Deployments deployments,
      Duration coldStartTimeout) {
    this.nodes = nodes;
    this.views = views;
    this.placement = placement;
    this.queue = queue;
    this.deployments = deployments;
    this.coldStartTimeout = coldStartTimeout;
  }

  /** See {@link Gateway#invoke(Revision, FunctionRequest)}. */
  Gateway.Result invoke(Revision revision, FunctionRequest request) {
    long t0 = System.nanoTime();
    try {
      return attempt(revision, request, t0, queue.waiting(revision));
    } catch (Refused e) {
      if (e.kind() != Refused.Kind.NO_CAPACITY || !queue.enabled()) {
        throw e;
      }
    }
    // Queued: this invocation is one of those its queue counts.
    return queue.await(
        revision,
        t0,
        () -> attempt(revision, request, System.nanoTime(), queue.waiting(revision) - 1));
  }

  /**
   * One pass over the nodes, best first; NO_CAPACITY when every node refuses for capacity, or when
   * the plan is to wait for an instance busy now (the queue is where invocations wait, and the only
   * place: an agent holds an invocation only for a clone it is making).
   *
   * @param queuedAhead invocations of the revision waiting in the queue ahead of this one
   */
  private Gateway.Result attempt(
      Revision revision, FunctionRequest request, long t0, int queuedAhead) {
    Placement.Plan plan =
        placement.plan(revision, views.all(), Math.max(0, queuedAhead), queue.enabled());
    if (plan.busy().isPresent()) {
      throw new Refused(
          Refused.Kind.NO_CAPACITY,
          "an instance of "
              + revision
              + " busy on "
              + plan.busy().get().node()
              + " is expected to serve it first",
          null);
    }
    List<String> order = plan.order();
    if (order.isEmpty()) {
      throw new Refused(
          Refused.Kind.NO_CAPACITY, "no node can take " + revision + ": every node is down", null);
    }
    Duration placed = Duration.ofNanos(System.nanoTime() - t0);
    String lastRefusal = "";
    for (String node : order) {
      AgentClient.Answer answer;
      try {
        answer =
            nodes
                .get(node)
                .invoke(revision, request, agentTimeout(revision), views.manifestDigest(revision));
      } catch (IOException e) {
        views.down(node);
        throw new Refused(
            Refused.Kind.FAILED, "node " + node + " failed during the invocation: " + e, e);
      }
      Optional<Refused.Kind> refusal = answer.refusal();
      if (refusal.isEmpty()) {
        views.served(node, revision);
        // An instance is idle again: whoever waits may now be served.
        queue.wake();
        return new Gateway.Result(
            answer.status(),
            answer.contentType(),
            answer.content(),
            answer.served().orElseThrow(),
            placed);
      }
      if (refusal.get() == Refused.Kind.TIMED_OUT) {
        // The agent measured the function's timeout and stopped the instance: its reason is the
        // caller's answer as it stands, and the freed slot may serve whoever waits.
        queue.wake();
        throw new Refused(Refused.Kind.TIMED_OUT, answer.error(), null);
      }
      if (refusal.get() != Refused.Kind.NO_CAPACITY) {
        throw new Refused(refusal.get(), "node " + node + ": " + answer.error(), null);
      }
      lastRefusal = answer.error();
    }
    throw new Refused(
        Refused.Kind.NO_CAPACITY, "no node can take " + revision + ": " + lastRefusal, null);
  }

  /**
   * How long to wait for an agent's answer: a cold start there, then the function's own timeout, so
   * that a function's timeout is reported by the agent that measures it (504), never cut short
   * here. A revision this gateway did not deploy may have any timeout.
   */
  private Duration agentTimeout(Revision revision) {
    Duration function =
        deployments
            .get(revision)
            .map(e -> e.function().timeout())
            .orElse(Duration.ofSeconds(FunctionSpec.MAX_TIMEOUT_SECONDS));
    return coldStartTimeout.plus(function);
  }
}
