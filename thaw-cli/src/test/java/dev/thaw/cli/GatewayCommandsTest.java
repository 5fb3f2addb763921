package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import dev.thaw.node.snapshot.SnapshotNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code thaw invoke}, {@code functions}, {@code delete} and {@code deploy} against a real gateway
 * and agent on 127.0.0.1 (a {@link FakeVmm} under the agent, whose guests echo POST bodies), and
 * against nothing at all.
 */
class GatewayCommandsTest {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;

  /** What one command line printed and returned. */
  record Run(int code, byte[] out, String err) {
    String text() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  static Run thaw(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Thaw.commandLine().execute(args);
      return new Run(code, o.toByteArray(), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private static int indexOf(byte[] in, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= in.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (in[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void nothingServingIsOneClearLine() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String at = "http://127.0.0.1:" + port;
    for (String[] args :
        new String[][] {
          {"functions", "--gateway", at, "--token-file", tokenFile()},
          {"invoke", "fn-1", "--gateway", at},
          {"delete", "fn-1", "--gateway", at, "--token-file", tokenFile()},
          {"deploy", "fn-1", "--image", "x", "--gateway", at, "--token-file", tokenFile()}
        }) {
      Run r = thaw(args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
      assertThat(r.err().strip())
          .startsWith("thaw " + args[0] + ": no Thaw gateway answers at " + at)
          .doesNotContain("\n")
          .doesNotContain("Exception");
    }
  }

  /** The test gateway's token in a file, as {@code thaw serve} writes it. */
  private String tokenFile() throws java.io.IOException {
    Path file = dir.resolve("token");
    if (!Files.exists(file)) {
      Files.writeString(file, TOKEN.value() + "\n");
    }
    return file.toString();
  }

  @Test
  void badInputIsAUsageError() throws Exception {
    Path missing = dir.resolve("missing");
    assertThat(thaw("invoke", "Not_A_Name").code()).isEqualTo(2);
    assertThat(thaw("invoke", "fn-1", "--data", "a", "--data-file", "f").code()).isEqualTo(2);
    Run noFile = thaw("invoke", "fn-1", "--data-file", missing.toString());
    assertThat(noFile.code()).isEqualTo(2);
    assertThat(noFile.err()).contains("cannot read --data-file");
    assertThat(thaw("invoke", "fn-1", "--method", "GET", "--data", "x").err())
        .contains("carries no body");
    assertThat(thaw("deploy", "fn-1", "--image", "i", "--env", "NOEQUALS").err())
        .contains("--env takes NAME=value");
    Run badHook = thaw("deploy", "fn-1", "--image", "i", "--after-restore", "renew");
    assertThat(badHook.code()).isEqualTo(2);
    assertThat(badHook.err()).contains("afterRestore must be a path on the function's port");
    assertThat(thaw("serve", "--mode", "sometimes").code()).isEqualTo(2);
    assertThat(thaw("invoke", "fn-1", "--method", "TRACE").err())
        .contains("TRACE is not one a function is invoked with");
    for (String bad : new String[] {"0", "901", "16m", "1h", "30ms", "-5", "x", "1.5"}) {
      Run r = thaw("deploy", "fn-1", "--image", "i", "--timeout", bad);
      assertThat(r.code()).as(bad).isEqualTo(2);
      assertThat(r.err()).as(bad).containsAnyOf("--timeout takes seconds", "within 1..900 s");
    }
  }

  @Test
  void deployTakesATimeoutInSecondsOrMinutes() {
    assertThat(DeployCommand.timeoutSeconds("30")).isEqualTo(30);
    assertThat(DeployCommand.timeoutSeconds("30s")).isEqualTo(30);
    assertThat(DeployCommand.timeoutSeconds("2m")).isEqualTo(120);
    assertThat(DeployCommand.timeoutSeconds("15m")).isEqualTo(900);
    DeployCommand deploy = new DeployCommand();
    new picocli.CommandLine(deploy).parseArgs("fn-1", "--image", "i", "--timeout", "2m");
    assertThat(deploy.deployment().timeoutSeconds()).isEqualTo(120);
    DeployCommand plain = new DeployCommand();
    new picocli.CommandLine(plain).parseArgs("fn-1", "--image", "i");
    assertThat(plain.deployment().timeoutSeconds()).as("the default, left to the node").isNull();
  }

  @Test
  void invokeFunctionsAndDeleteThroughARealGateway() throws Exception {
    FakeVmm vmm = new FakeVmm();
    try (SnapshotNode node =
            SnapshotNode.builder(vmm, GUEST, dir.resolve("node"))
                .manager(b -> b.mode(SnapshotMode.LOCAL))
                .build();
        NodeAgent agent = NodeAgent.builder().name("n1").manager(node.manager()).build();
        AgentServer agentServer =
            AgentServer.builder(agent, TOKEN).snapshots(node.cache()::revisions).start();
        Gateway gateway =
            Gateway.builder()
                .token(TOKEN)
                .node("n1", agentServer.uri())
                .scorer(PlacementScorer.named("default"))
                .healthInterval(Duration.ofMillis(100))
                .build();
        GatewayServer server = GatewayServer.start(gateway, 0, TOKEN)) {
      gateway.deployEverywhere(
          Revision.of("fn-1"), new FunctionSpec("fn", 64, 1, "hello", 0), Duration.ofSeconds(5));
      String at = server.uri().toString();

      byte[] body = new byte[1000];
      for (int i = 0; i < body.length; i++) {
        body[i] = (byte) (255 - i);
      }
      Path file = Files.write(dir.resolve("body.bin"), body);
      Run echoed = thaw("invoke", "fn-1", "--data-file", file.toString(), "-v", "--gateway", at);
      assertThat(echoed.code()).isZero();
      // The agent's log shares this process's stdout: the body is there whole, in one piece.
      assertThat(indexOf(echoed.out(), body)).isNotNegative();
      assertThat(echoed.err()).startsWith("200 from n1: boot, ");

      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  thaw("functions", "--gateway", at, "--token-file", tokenFile())
                      .text()
                      .contains(" n1 "));
      Run listed = thaw("functions", "--gateway", at, "--token-file", tokenFile());
      assertThat(listed.text().lines().filter(l -> l.startsWith("fn-1 ")))
          .singleElement()
          .satisfies(
              l ->
                  assertThat(l.split("\\s+"))
                      .containsExactly("fn-1", "(built-in)", "1", "n1", "-"));

      Run patch =
          thaw(
              "invoke",
              "fn-1",
              "--method",
              "PATCH",
              "--data",
              "{}",
              "--path",
              "/p",
              "--gateway",
              at);
      assertThat(patch.code()).as(patch.err()).isZero();
      assertThat(patch.text()).contains("{}");
      assertThat(vmm.lastRequest()).startsWith("PATCH /p ");

      Run get = thaw("invoke", "fn-1", "--path", "/x?y=1", "--gateway", at);
      assertThat(get.text()).contains("booted fn");
      assertThat(vmm.lastRequest()).startsWith("GET /x ");

      assertThat(thaw("delete", "fn-1", "--gateway", at, "--token-file", tokenFile()).text())
          .contains("deleted fn-1 (n1: deleted)\n");
      // The management commands need the gateway's token; an invocation does not.
      Path wrong = Files.writeString(dir.resolve("wrong"), BearerToken.generate().value());
      Run refused = thaw("functions", "--gateway", at, "--token-file", wrong.toString());
      assertThat(refused.code()).isEqualTo(1);
      assertThat(refused.err().strip())
          .contains("refused the management token (401)")
          .contains("--token-file")
          .doesNotContain("\n");
      Run noFile =
          thaw("delete", "fn-1", "--gateway", at, "--token-file", dir.resolve("nope").toString());
      assertThat(noFile.code()).isEqualTo(1);
      assertThat(noFile.err()).startsWith("thaw delete: ").contains("nope");
      Run gone = thaw("invoke", "fn-1", "--gateway", at);
      assertThat(gone.code()).isEqualTo(1);
      assertThat(gone.err()).contains("no function deployed as revision fn-1");
      assertThat(thaw("delete", "fn-1", "--gateway", at, "--token-file", tokenFile()).code())
          .isEqualTo(1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> vmm.running() == 0);
  }
}
