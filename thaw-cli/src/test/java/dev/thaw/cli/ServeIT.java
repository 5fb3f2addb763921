package dev.thaw.cli;

import static dev.thaw.cli.GatewayCommandsTest.thaw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.image.ExampleImages;
import dev.thaw.qemu.GuestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code thaw serve} as a user runs it, in a child process: deploy of the project-built Python
 * image, a cold boot, a warm invocation, a restore after the keep-alive, a binary POST through
 * {@code curl}, a stop that leaves nothing running, and a restart that still has the function and
 * restores it from its snapshot; then delete.
 */
class ServeIT {
  @TempDir Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void serveDeployInvokeRestartDelete() throws Exception {
    GuestImage.ensure(System.out::println);
    String image = ExampleImages.ensure(System.out::println).python().toString();
    Path data = dir.resolve("serve");

    ServeProcess serve = start(data, 1);
    final String at = serve.gateway();
    // The management token, made on the first start, readable by its owner only.
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(data.resolve("token"))))
        .isEqualTo("rw-------");
    String firstToken = Files.readString(data.resolve("token"));
    try {
      GatewayCommandsTest.Run deployed =
          thaw("deploy", "py", "--image", image, "--gateway", at, "--token-file", token(data));
      assertThat(deployed.code()).as(deployed.err()).isZero();
      assertThat(deployed.text()).contains("deployed py (sha256:").contains("on node-1");

      GatewayCommandsTest.Run cold = thaw("invoke", "py", "-v", "--gateway", at);
      assertThat(cold.text()).isEqualTo("hello from python\n");
      assertThat(cold.err()).startsWith("200 from node-1: boot, ");
      // The boot is snapshotted; the clone that verified the snapshot stays warm.
      await().atMost(Duration.ofSeconds(90)).until(() -> functionsLine(at).contains(" 1 node-1 "));
      assertThat(thaw("invoke", "py", "-v", "--gateway", at).err())
          .startsWith("200 from node-1: warm");
      // Past the keep-alive the instance is gone: the next start restores the snapshot.
      await().atMost(Duration.ofSeconds(60)).until(() -> functionsLine(at).contains(" 0 node-1 "));
      GatewayCommandsTest.Run restored = thaw("invoke", "py", "-v", "--gateway", at);
      assertThat(restored.text()).isEqualTo("hello from python\n");
      assertThat(restored.err()).startsWith("200 from node-1: cold (local)");

      byte[] body = new byte[64 << 10];
      new Random(18).nextBytes(body);
      Path in = Files.write(dir.resolve("in.bin"), body);
      Path out = dir.resolve("out.bin");
      assertThat(
              curl(
                  "-sS",
                  "-o",
                  out.toString(),
                  "-w",
                  "%{http_code}",
                  "--data-binary",
                  "@" + in,
                  "-H",
                  "Content-Type: application/octet-stream",
                  at + "/py/echo"))
          .isEqualTo("200");
      assertThat(Files.readAllBytes(out)).isEqualTo(body);
    } finally {
      stop(serve);
    }

    serve = start(data, 1);
    final String again = serve.gateway();
    try {
      assertThat(Files.readString(serve.log())).contains("redeployed py");
      assertThat(Files.readString(data.resolve("token"))).isEqualTo(firstToken);
      // Without the token the management API refuses; invocations stay open (below).
      GatewayCommandsTest.Run noToken =
          thaw("functions", "--gateway", again, "--token-file", dir.resolve("none").toString());
      assertThat(noToken.code()).isEqualTo(1);
      assertThat(curl("-s", "-o", "/dev/null", "-w", "%{http_code}", again + "/functions"))
          .isEqualTo("401");
      assertThat(functionsLine(again)).startsWith("py ").contains("sha256:");
      GatewayCommandsTest.Run restoredAgain = thaw("invoke", "py", "-v", "--gateway", again);
      assertThat(restoredAgain.text()).isEqualTo("hello from python\n");
      assertThat(restoredAgain.err())
          .as("restored from its snapshot, not booted")
          .doesNotContain(": boot")
          .contains("cold (");

      assertThat(thaw("delete", "py", "--gateway", again, "--token-file", token(data)).code())
          .isZero();
      assertThat(thaw("functions", "--gateway", again, "--token-file", token(data)).text())
          .doesNotContain("py ");
      assertThat(curl("-s", "-o", "/dev/null", "-w", "%{http_code}", again + "/py/"))
          .isEqualTo("404");
    } finally {
      stop(serve);
    }
  }

  /** The token file {@code thaw serve} keeps in {@code data}. */
  private static String token(Path data) {
    return data.resolve("token").toString();
  }

  /** The function's line of {@code thaw functions}, its columns single-spaced. */
  private String functionsLine(String at) {
    return thaw("functions", "--gateway", at, "--token-file", token(dir.resolve("serve")))
        .text()
        .lines()
        .filter(l -> l.startsWith("py "))
        .findFirst()
        .orElse("")
        .replaceAll("\\s+", " ")
        .strip();
  }

  private ServeProcess start(Path data, int nodes) throws Exception {
    return ServeProcess.start(dir, data, nodes, List.of(), Map.of());
  }

  private static void stop(ServeProcess serve) throws Exception {
    serve.stop();
  }

  private static String curl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("curl", "--max-time", "120"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(130, TimeUnit.SECONDS);
    return out.strip();
  }
}
