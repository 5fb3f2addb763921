package dev.thaw.node.snapshot;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.MicroVm;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks a function's {@link FunctionHooks} on its VM: {@code GET} of the hook's path on the
 * function's own port, through the VM's endpoint as an invocation goes. A hook passes when it
 * answers 2xx within its timeout; anything else (another status, no answer, a refused connection)
 * is a {@link Failure}, which the caller acts on. A function without the hook passes at once.
 */
final class SnapshotHooks {
  private static final ExecutorService CALLS =
      Executors.newCachedThreadPool(DaemonThreads.named("thaw-snapshot-hook"));

  private final Duration beforeSnapshotTimeout;
  private final Duration afterRestoreTimeout;

  /**
   * Why a hook failed.
   *
   * @param hook {@code beforeSnapshot} or {@code afterRestore}
   * @param path the path asked
   * @param reason what came back instead of a 2xx answer
   */
  record Failure(String hook, String path, String reason) {
    Failure {
      Objects.requireNonNull(hook, "hook");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(reason, "reason");
    }

    /** One line: which hook, and why it failed. */
    String message() {
      return hook + " hook GET " + path + " failed: " + reason;
    }
  }

  /** Hooks with the timeouts {@link FunctionHooks} documents. */
  SnapshotHooks() {
    this(FunctionHooks.BEFORE_SNAPSHOT_TIMEOUT, FunctionHooks.AFTER_RESTORE_TIMEOUT);
  }

  SnapshotHooks(Duration beforeSnapshotTimeout, Duration afterRestoreTimeout) {
    this.beforeSnapshotTimeout = Objects.requireNonNull(beforeSnapshotTimeout);
    this.afterRestoreTimeout = Objects.requireNonNull(afterRestoreTimeout);
  }

  /** Asks {@code function}'s {@code beforeSnapshot} hook on {@code vm}; empty when it passed. */
  Optional<Failure> beforeSnapshot(MicroVm vm, FunctionSpec function) {
    return hooksOf(function)
        .beforeSnapshotPath()
        .flatMap(path -> ask(vm, "beforeSnapshot", path, beforeSnapshotTimeout));
  }

  /** Asks {@code function}'s {@code afterRestore} hook on the clone {@code vm}; empty: passed. */
  Optional<Failure> afterRestore(MicroVm vm, FunctionSpec function) {
    return hooksOf(function)
        .afterRestorePath()
        .flatMap(path -> ask(vm, "afterRestore", path, afterRestoreTimeout));
  }

  private static FunctionHooks hooksOf(FunctionSpec function) {
    return function.fromImage() ? function.image().hooks() : FunctionHooks.NONE;
  }

  private static Optional<Failure> ask(MicroVm vm, String hook, String path, Duration timeout) {
    // The client's read timeout bounds each read; the wait below bounds the whole answer. A call
    // left behind ends when its VM is stopped, which is what a failed hook leads to.
    CompletableFuture<FunctionClient.Response> call =
        CompletableFuture.supplyAsync(
            () -> new FunctionClient(timeout).get(vm.endpoint(), path), CALLS);
    try {
      int status = call.get(timeout.toMillis(), TimeUnit.MILLISECONDS).status();
      return status >= 200 && status < 300
          ? Optional.empty()
          : Optional.of(new Failure(hook, path, "answered HTTP " + status));
    } catch (TimeoutException e) {
      call.cancel(true);
      return Optional.of(new Failure(hook, path, "no answer within " + timeout.toMillis() + " ms"));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause().getCause() != null ? e.getCause().getCause() : e.getCause();
      return Optional.of(new Failure(hook, path, String.valueOf(cause)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(new Failure(hook, path, "interrupted"));
    }
  }
}
