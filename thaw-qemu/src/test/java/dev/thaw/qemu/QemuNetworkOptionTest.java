package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuNetworkOptionTest {
  private static final String DIGEST = "sha256:" + "a".repeat(64);

  @Test
  void everyVmsNetworkIsRestrictedAndForwardsOnlyFromTheHostsLoopback() {
    String net =
        QemuCommandLine.network(
            BuiltinFunctions.HELLO, new QemuCommandLine.Ports(40001, 40001), Optional.empty());
    assertThat(net)
        .isEqualTo("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40001-:8080")
        .doesNotContain("guestfwd");
  }

  @Test
  void aFunctionFromAnImageGetsItsPortForwardedAndItsEgressThroughTheProxyForward() {
    FunctionSpec spec =
        FunctionSpec.ofImage(
            "web", 256, 1, FunctionImage.of(Path.of("/images/a.ext4"), DIGEST, List.of("x"), 80));
    String net =
        QemuCommandLine.network(
            spec,
            new QemuCommandLine.Ports(40001, 40002),
            Optional.of("guestfwd=tcp:10.0.2.100:3128-cmd:socat - UNIX-CONNECT:/w/egress.sock"));
    assertThat(net)
        .startsWith("user,id=n0,restrict=on,")
        .contains("hostfwd=tcp:127.0.0.1:40001-:" + FunctionImage.CONTROL_PORT)
        .contains("hostfwd=tcp:127.0.0.1:40002-:80")
        .endsWith(",guestfwd=tcp:10.0.2.100:3128-cmd:socat - UNIX-CONNECT:/w/egress.sock");
  }

  @Test
  void aFunctionWithEgressFindsItsProxyInItsEnvironmentUnlessItSetsItsOwn() {
    FunctionImage image =
        new FunctionImage(
            Path.of("/images/a.ext4"),
            DIGEST,
            List.of("x"),
            List.of("HTTPS_PROXY=http://mine:3128"),
            "/",
            "0",
            80);
    FunctionSpec spec = FunctionSpec.ofImage("web", 256, 1, image);
    assertThat(text(EgressProxy.guestDescription(spec)))
        .doesNotContain("HTTP_PROXY")
        .doesNotContain("10.0.2.100");
    String withEgress =
        text(
            EgressProxy.guestDescription(
                spec.withEgress(List.of(dev.thaw.core.function.EgressRule.parse("a.b:443")))));
    assertThat(withEgress)
        .contains("env=HTTP_PROXY=http://10.0.2.100:3128\0")
        .contains("env=HTTPS_PROXY=http://mine:3128\0")
        .doesNotContain("HTTPS_PROXY=http://10.0.2.100")
        .contains("env=no_proxy=localhost,127.0.0.1\0");
  }

  private static String text(byte[] description) {
    return new String(description, java.nio.charset.StandardCharsets.UTF_8);
  }
}
