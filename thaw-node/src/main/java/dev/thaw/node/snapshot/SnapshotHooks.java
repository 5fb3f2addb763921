package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.MicroVm;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Asks a function's {@link FunctionHooks} on its VM: {@code GET} of the hook's path on the
 * function's own port, through the VM's endpoint as an invocation goes, on a connection of its own
 * that the function closes after answering. A hook passes when its status line says 2xx within its
 * timeout (the rest of the answer is not read); anything else (another status, no answer by then, a
 * refused connection) is a {@link Failure}, which the caller acts on. A function without the hook
 * passes at once.
 */
public final class SnapshotHooks {
  private static final int MAX_STATUS_LINE = 1024;

  private final Duration beforeSnapshotTimeout;
  private final Duration afterRestoreTimeout;

  /**
   * Why a hook failed.
   *
   * @param hook {@code beforeSnapshot} or {@code afterRestore}
   * @param path the path asked
   * @param reason what came back instead of a 2xx answer
   */
  public record Failure(String hook, String path, String reason) {
    public Failure {
      Objects.requireNonNull(hook, "hook");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(reason, "reason");
    }

    /** One line: which hook, and why it failed. */
    public String message() {
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
  public Optional<Failure> beforeSnapshot(MicroVm vm, FunctionSpec function) {
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
    long deadline = System.nanoTime() + timeout.toNanos();
    URI endpoint = vm.endpoint();
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), millisLeft(deadline));
      socket.getOutputStream().write(request(endpoint, path));
      socket.getOutputStream().flush();
      int status = status(socket, deadline);
      return status >= 200 && status < 300
          ? Optional.empty()
          : Optional.of(new Failure(hook, path, "answered HTTP " + status));
    } catch (SocketTimeoutException e) {
      return Optional.of(new Failure(hook, path, "no answer within " + timeout.toMillis() + " ms"));
    } catch (IOException e) {
      return Optional.of(new Failure(hook, path, e.toString()));
    }
  }

  /**
   * The request, which asks the function to close the connection after its answer: a connection the
   * guest still holds when the VM is paused would be open in every clone, to a peer that no clone's
   * network knows (see {@code QemuMicroVm.pause}).
   */
  private static byte[] request(URI endpoint, String path) {
    return ("GET "
            + path
            + " HTTP/1.1\r\nHost: "
            + endpoint.getHost()
            + ":"
            + endpoint.getPort()
            + "\r\nUser-Agent: thaw-node\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The status of the answer's status line ({@code HTTP/1.x NNN ...}), read by the deadline. */
  private static int status(Socket socket, long deadline) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder line = new StringBuilder();
    while (line.length() < MAX_STATUS_LINE) {
      socket.setSoTimeout(millisLeft(deadline));
      int b = in.read();
      if (b < 0 || b == '\n') {
        break;
      }
      line.append((char) b);
    }
    String[] parts = line.toString().strip().split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("\\d{3}")) {
      throw new IOException("not an HTTP answer: '" + line.toString().strip() + "'");
    }
    return Integer.parseInt(parts[1]);
  }

  /** Milliseconds until {@code deadline}, at least 1; a past deadline is a timeout. */
  private static int millisLeft(long deadline) throws SocketTimeoutException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new SocketTimeoutException();
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }
}
