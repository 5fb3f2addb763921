package dev.thaw.bench.logs;

import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.http.BearerToken;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.ImageDeployment;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * The run of {@code thaw bench logs}: one node (a real {@code thaw agent}) behind a gateway runs
 * two functions from the same image. The quiet one is timed alone, while the noisy one writes a
 * flood of lines to stdout, and alone again; then the bench reads what the node kept of the flood
 * from its log files. It prints its progress and the noisy function's stderr as it goes.
 */
public final class LogsRounds {
  private static final Revision QUIET = Revision.of("quiet");
  private static final Revision NOISY = Revision.of("noisy");

  /**
   * Untimed invocations before the timed ones, so that the gateway's and the agent's paths run
   * compiled code.
   */
  private static final int WARM_UP = 1000;

  /** Lines of the noisy function's stderr printed, from each log file. */
  private static final int STDERR_LINES = 20;

  /**
   * The bench's shape.
   *
   * @param floodMb MB the noisy function writes
   * @param requests timed invocations alone, before the flood and after it (each)
   * @param logBytes the agent's cap of one function's logs ({@code THAW_LOG_BYTES})
   * @param logRate the agent's read rate of one instance's output ({@code THAW_LOG_RATE})
   */
  public record Shape(int floodMb, int requests, String logBytes, String logRate) {
    public Shape {
      Objects.requireNonNull(logBytes, "logBytes");
      Objects.requireNonNull(logRate, "logRate");
      if (floodMb < 1 || requests < 1) {
        throw new IllegalArgumentException("need floodMb >= 1 and requests >= 1");
      }
    }
  }

  /** How a run ended: measured, or stopped by a flood that did not answer 200. */
  public sealed interface Outcome {}

  /** The run measured {@code figures}. */
  public record Measured(LogsFigures figures) implements Outcome {}

  /** The flood invocation answered {@code status} with {@code body}; nothing was measured after. */
  public record FloodFailed(int status, String body) implements Outcome {}

  private final Shape shape;
  private final URI s3Endpoint;
  private final AwsCredentials credentials;
  private final BearerToken token;
  private final ImageDeployment image;
  private final PrintStream out;

  /**
   * The bench of {@code shape}, both functions deployed from {@code image}, the agent storing in
   * the object store at {@code s3Endpoint} with {@code credentials}, agent and gateway sharing
   * {@code token}; it prints to {@code out}.
   */
  public LogsRounds(
      Shape shape,
      URI s3Endpoint,
      AwsCredentials credentials,
      BearerToken token,
      ImageDeployment image,
      PrintStream out) {
    this.shape = Objects.requireNonNull(shape, "shape");
    this.s3Endpoint = Objects.requireNonNull(s3Endpoint, "s3Endpoint");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.token = Objects.requireNonNull(token, "token");
    this.image = Objects.requireNonNull(image, "image");
    this.out = Objects.requireNonNull(out, "out");
  }

  /** Runs the bench, the node's data (its logs among them) under {@code root}. */
  public Outcome run(Path root) throws IOException, InterruptedException {
    try (LocalCluster cluster =
        LocalCluster.start(
            new LocalCluster.Config(
                1,
                root,
                SnapshotMode.LOCAL,
                true,
                s3Endpoint,
                credentials,
                Duration.ofMinutes(30),
                4,
                token),
            Map.of("THAW_LOG_BYTES", shape.logBytes(), "THAW_LOG_RATE", shape.logRate()))) {
      Gateway.Builder b = Gateway.builder().token(token);
      cluster.agents().forEach(b::node);
      try (Gateway gateway = b.build()) {
        gateway.deployEverywhere(QUIET, image, Duration.ofMinutes(10));
        gateway.deployEverywhere(NOISY, image, Duration.ofMinutes(10));
        out.println("warming both functions up (a boot, a snapshot, a warm clone each)");
        warm(gateway, QUIET);
        warm(gateway, NOISY);
        time(gateway, QUIET, WARM_UP);
        return measure(gateway, root);
      }
    }
  }

  private Outcome measure(Gateway gateway, Path root) throws IOException {
    List<Double> before = time(gateway, QUIET, shape.requests());
    out.printf("alone: %d invocations timed%n", before.size());
    long t0 = System.nanoTime();
    CompletableFuture<Gateway.Result> flood =
        CompletableFuture.supplyAsync(
            () -> gateway.invoke(NOISY, "/flood?wait=1&mb=" + shape.floodMb()));
    List<Double> during = new ArrayList<>();
    while (!flood.isDone()) {
      during.addAll(time(gateway, QUIET, 10));
      if (during.size() % 1000 == 0) {
        out.printf(
            "flooding: %d s, %d invocations timed meanwhile%n",
            (System.nanoTime() - t0) / 1_000_000_000L, during.size());
      }
    }
    double floodSeconds = (System.nanoTime() - t0) / 1e9;
    Gateway.Result r = flood.join();
    if (r.status() != 200) {
      return new FloodFailed(r.status(), r.body());
    }
    FunctionLogFiles noisyLogs = FunctionLogFiles.of(root, NOISY.value());
    noisyLogs.stderr(STDERR_LINES).forEach(l -> out.println("noisy's stderr: " + l));
    List<Double> after = time(gateway, QUIET, shape.requests());
    // Read again: the node goes on keeping what the guest still held when the flood answered.
    FunctionLogFiles kept = FunctionLogFiles.of(root, NOISY.value());
    return new Measured(
        new LogsFigures(
            before,
            during,
            after,
            shape.floodMb(),
            floodSeconds,
            kept.bytes(),
            shape.logBytes(),
            kept.floodLines()));
  }

  private static void warm(Gateway gateway, Revision revision) throws InterruptedException {
    // The first call boots; the snapshot is taken and verified behind it; later calls are warm.
    for (int i = 0; i < 40; i++) {
      Gateway.Result r = gateway.invoke(revision, "/");
      if (r.status() != 200) {
        throw new IllegalStateException(revision + " answered " + r.status() + ": " + r.body());
      }
      Thread.sleep(i < 5 ? 2000 : 50);
    }
  }

  private static List<Double> time(Gateway gateway, Revision revision, int n) {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      Gateway.Result r = gateway.invoke(revision, "/");
      ms.add((System.nanoTime() - t) / 1e6);
      if (r.status() != 200) {
        throw new IllegalStateException(revision + " answered " + r.status() + ": " + r.body());
      }
    }
    return ms;
  }
}
