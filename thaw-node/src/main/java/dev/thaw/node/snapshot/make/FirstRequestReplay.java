package dev.thaw.node.snapshot.make;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.vmm.MicroVm;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repeats a function's first request on a new snapshot's clones, so that what they read while
 * answering it joins the working set, only when HTTP lets a client repeat it: {@code GET} and
 * {@code HEAD} are safe, any other method may change something outside the VM and is not sent
 * twice. The answer is dropped, a failure only logged.
 */
final class FirstRequestReplay {
  private static final Logger log = LoggerFactory.getLogger(FirstRequestReplay.class);

  /** How long the replay of a first request on a clone may take. */
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private FirstRequestReplay() {}

  /** Whether {@code request} may be sent again. */
  static boolean repeatable(FunctionRequest request) {
    return request.method().equals("GET") || request.method().equals("HEAD");
  }

  /** Sends {@code first} to {@code clone} when there is one and it is {@link #repeatable}. */
  static void onto(MicroVm clone, Optional<FunctionRequest> first, String revision) {
    if (first.isEmpty() || !repeatable(first.get())) {
      return;
    }
    try {
      new FunctionClient(TIMEOUT).call(clone.endpoint(), first.get());
    } catch (RuntimeException e) {
      log.warn("cannot repeat the first request on the clone of {}: {}", revision, e.getMessage());
    }
  }
}
