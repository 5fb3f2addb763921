package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.bench.cluster.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code thaw serve} running in a child process, as a user starts it, for the ITs. */
record ServeProcess(Process process, String gateway, Path log) {
  private static final Pattern GATEWAY = Pattern.compile("gateway: (http://\\S+)");

  /**
   * Starts {@code thaw serve --port 0 --nodes N --keep-alive 3s --data-dir DATA} with {@code more}
   * options and {@code env} added to its environment; returns once it is ready.
   */
  static ServeProcess start(
      Path dir, Path data, int nodes, List<String> more, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile(dir, "serve", ".log");
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--port",
                "0",
                "--nodes",
                Integer.toString(nodes),
                "--keep-alive",
                "3s",
                "--data-dir",
                data.toString()));
    args.addAll(more);
    ProcessBuilder pb =
        new ProcessBuilder(LocalCluster.childCommand(args))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    String[] gateway = new String[1];
    await()
        .atMost(Duration.ofMinutes(3))
        .until(
            () -> {
              if (!p.isAlive()) {
                throw new IllegalStateException("thaw serve exited:\n" + Files.readString(log));
              }
              String text = Files.readString(log);
              Matcher m = GATEWAY.matcher(text);
              if (text.contains("ready:") && m.find()) {
                gateway[0] = m.group(1);
                return true;
              }
              return false;
            });
    return new ServeProcess(p, gateway[0], log);
  }

  /** SIGTERM, as Ctrl-C would; then nothing it started may be left running. */
  void stop() throws Exception {
    List<ProcessHandle> started = process.descendants().toList();
    assertThat(started).as("agents and their VMs").isNotEmpty();
    process.destroy();
    boolean exited = process.waitFor(90, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
      started.forEach(ProcessHandle::destroyForcibly);
    }
    assertThat(exited).as("thaw serve stops on SIGTERM").isTrue();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(started.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::info))
                    .as("processes left running")
                    .isEmpty());
    assertThat(Files.readString(log)).contains("thaw serve: stopped");
  }
}
