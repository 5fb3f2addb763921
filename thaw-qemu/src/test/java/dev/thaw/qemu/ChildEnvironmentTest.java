package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What the processes Thaw starts inherit: only what they use, never credentials. */
class ChildEnvironmentTest {
  /** A node's environment as an agent in a pod has it. */
  private static Map<String, String> nodeEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", "/root");
    env.put("LANG", "C.UTF-8");
    env.put("TZ", "UTC");
    env.put("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
    env.put("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    env.put("AWS_SESSION_TOKEN", "token");
    env.put("THAW_S3_ENDPOINT", "http://minio:9000");
    env.put("KUBERNETES_SERVICE_HOST", "10.0.0.1");
    env.put("GITHUB_TOKEN", "ghp_example");
    env.put("SSH_AUTH_SOCK", "/tmp/ssh-agent.sock");
    env.put("THAW_KERNEL_PACKAGE", "linux-image-6.1.0-1-amd64");
    env.put("https_proxy", "http://proxy:3128");
    return env;
  }

  @Test
  void qemuGetsThePathLocaleAndTimeZoneOnly() {
    assertThat(ChildEnvironment.forQemu(nodeEnvironment()))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8", "TZ", "UTC"));
  }

  @Test
  void theGuestBuildAlsoGetsWhatBuildShAndAptReadButNoCredentials() {
    Map<String, String> env = ChildEnvironment.forGuestBuild(nodeEnvironment());
    assertThat(env)
        .containsEntry("THAW_KERNEL_PACKAGE", "linux-image-6.1.0-1-amd64")
        .containsEntry("https_proxy", "http://proxy:3128")
        .containsEntry("PATH", "/usr/bin:/bin")
        .doesNotContainKeys(
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "GITHUB_TOKEN",
            "SSH_AUTH_SOCK",
            "HOME",
            "THAW_S3_ENDPOINT");
  }

  @Test
  void aParentWithoutPathStillGivesItsChildrenOne() {
    assertThat(ChildEnvironment.forQemu(Map.of("AWS_SECRET_ACCESS_KEY", "x")))
        .isEqualTo(Map.of("PATH", ChildEnvironment.DEFAULT_PATH));
  }

  @Test
  void everyVariableBuildShReadsIsPassedToIt() throws IOException {
    String script;
    try (InputStream in = GuestImage.class.getResourceAsStream("/dev/thaw/qemu/guest/build.sh")) {
      assertThat(in).as("build.sh on the classpath").isNotNull();
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Set<String> read = new TreeSet<>();
    Matcher m = Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)").matcher(script);
    while (m.find()) {
      read.add(m.group(1));
    }
    assertThat(read).contains("THAW_KERNEL_PACKAGE");
    assertThat(ChildEnvironment.GUEST_BUILD).containsAll(read);
  }

  @Test
  void aChildStartedThroughItSeesExactlyThatEnvironment() throws Exception {
    Map<String, String> parent = new HashMap<>(System.getenv());
    parent.put("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    Map<String, String> expected = ChildEnvironment.forQemu(parent);
    Process p =
        ChildEnvironment.apply(new ProcessBuilder("cat", "/proc/self/environ"), expected).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    assertThat(parseEnviron(out)).isEqualTo(expected);
  }

  /** {@code /proc/<pid>/environ}: NUL-separated NAME=value entries. */
  static Map<String, String> parseEnviron(byte[] environ) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }
}
