package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No container engine runs on the reference machine, so the image is not built here; this checks
 * the Dockerfile's contract as closely as it can without one: its COPY lines, replayed into a
 * directory, make a layout its ENTRYPOINT runs, and it installs what the agent needs at run time.
 */
class DockerfileIT {
  private static final Path ROOT = Path.of("..");
  private static final Pattern COPY = Pattern.compile("^COPY (\\S+) (\\S+)$", Pattern.MULTILINE);
  private static final Pattern ENTRYPOINT =
      Pattern.compile("^ENTRYPOINT \\[(.+)]$", Pattern.MULTILINE);

  @TempDir Path image;

  private static String dockerfile() throws Exception {
    return Files.readString(ROOT.resolve("Dockerfile"));
  }

  @Test
  void theCopiedLayoutRunsEveryCommandTheManifestsStart() throws Exception {
    String text = dockerfile();
    Matcher copy = COPY.matcher(text);
    int copies = 0;
    while (copy.find()) {
      Path from = ROOT.resolve(copy.group(1));
      Path to = image.resolve(copy.group(2).substring(1));
      assertThat(from).as("COPY source %s (run mvn package first)", from).exists();
      if (Files.isDirectory(from)) {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
          for (Path f : files.toList()) {
            Files.copy(f, to.resolve(f.getFileName()));
          }
        }
      } else {
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
      }
      copies++;
    }
    assertThat(copies).isPositive();

    Matcher entry = ENTRYPOINT.matcher(text);
    assertThat(entry.find()).as("an exec-form ENTRYPOINT").isTrue();
    List<String> command = new ArrayList<>();
    for (String word : entry.group(1).split(",")) {
      String w = word.strip().replaceAll("^\"|\"$", "");
      // Paths of the image, here under the replayed layout; java is this JVM's.
      command.add(
          w.equals("java")
              ? ProcessHandle.current().info().command().orElse("java")
              : w.startsWith("/") ? image.resolve(w.substring(1)).toString() : w);
    }
    for (String thawCommand : List.of("agent", "extender", "launcher")) {
      List<String> run = new ArrayList<>(command);
      run.addAll(List.of(thawCommand, "--help"));
      Process p = new ProcessBuilder(run).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("%s printed %s", run, out).isZero();
      assertThat(out).contains("Usage: thaw " + thawCommand);
    }
  }

  @Test
  void theImageInstallsWhatTheSetupScriptInstallsForRunning() throws Exception {
    String text = dockerfile();
    String setup = Files.readString(ROOT.resolve("scripts/setup"));
    int start = setup.indexOf("packages=(");
    String block = setup.substring(start, setup.indexOf("\n)\n", start));
    List<String> needed = new ArrayList<>();
    for (String line : block.lines().skip(1).toList()) {
      String packages = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
      needed.addAll(
          Arrays.stream(packages.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
    }
    // Building Thaw needs a JDK and Maven; busybox-static, the registry server, htpasswd,
    // openssl, iproute2 (the guest network test's namespace), curl (ServeIT's plain HTTP
    // client) and Chromium with its driver (ConsoleIT's browser) only serve the tests: the image
    // runs the packaged jar on a JRE.
    needed.removeAll(
        List.of(
            "openjdk-17-jdk-headless",
            "maven",
            "busybox-static",
            "docker-registry",
            "apache2-utils",
            "openssl",
            "iproute2",
            "curl",
            "chromium",
            "chromium-driver"));
    assertThat(needed).contains("qemu-system-x86", "gcc");
    assertThat(text).contains("openjdk-17-jre-headless");
    for (String p : needed) {
      assertThat(text)
          .as("the image installs %s", p)
          .containsPattern("\\s" + Pattern.quote(p) + "\\s");
    }
  }
}
