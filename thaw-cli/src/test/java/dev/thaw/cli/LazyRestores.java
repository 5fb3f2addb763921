package dev.thaw.cli;

import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lazy restores as the cluster ITs see them from outside an agent's process: whether this host lets
 * an agent restore lazily, and how many lazy restores an agent has made. An agent that cannot mount
 * its file server still restores, by whole fetches, so only this count tells the two paths apart.
 */
final class LazyRestores {
  private static final Pattern COUNTER =
      Pattern.compile("(?m)^thaw_snapshot_lazy_restores_total(?:\\{[^}]*\\})? (\\S+)$");

  private LazyRestores() {}

  /**
   * Whether a FUSE file server mounts here as an agent mounts its own (readahead off), on a
   * directory under {@code dir} that it leaves unmounted: where it does, the agents' remote
   * restores must be lazy.
   */
  static boolean possibleHere(Path dir) {
    try {
      FuseFileServer.mount(dir.resolve("fuse-probe"), 0).close();
      return true;
    } catch (IOException e) {
      System.out.println("no lazy restores expected here: " + e.getMessage());
      return false;
    }
  }

  /** The agent's {@code thaw.snapshot.lazy.restores} counter, read from its metrics endpoint. */
  static long madeBy(URI agent, BearerToken token) throws IOException, InterruptedException {
    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(agent.resolve("/metrics"))
                    .header("Authorization", token.authorization())
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m = COUNTER.matcher(metrics);
    if (!m.find()) {
      throw new AssertionError("no lazy restore counter in the metrics of " + agent);
    }
    return (long) Double.parseDouble(m.group(1));
  }
}
