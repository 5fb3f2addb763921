package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageConfig;
import dev.thaw.image.ResolvedUser;
import dev.thaw.image.RootImage;
import dev.thaw.node.protocol.ImageDeployment;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How an image's config and a deployment's overrides make what the guest starts. */
class ImageOverridesTest {
  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  private static RootImage image(ImageConfig config) {
    return new RootImage(
        DIGEST, Path.of("/images/erofs-x/rootfs.img"), 4096, FilesystemFormat.EROFS, config);
  }

  private static final ImageConfig PYTHON =
      new ImageConfig(
          List.of("/usr/bin/python3", "/app/server.py"),
          List.of("--verbose"),
          List.of("PATH=/usr/bin:/bin", "PORT=8080"),
          "/app",
          "",
          Set.of(8080));

  private static ImageDeployment deploy(
      Integer port, List<String> env, List<String> command, List<String> args) {
    return new ImageDeployment("x", port, env, command, args, null, null);
  }

  @Test
  void theImageAloneRunsEntrypointThenCmdAsRootOnItsOneExposedPort() {
    FunctionImage f = ImageOverrides.functionImage(image(PYTHON), ImageDeployment.of("x"));

    assertThat(f.argv()).containsExactly("/usr/bin/python3", "/app/server.py", "--verbose");
    assertThat(f.env()).containsExactly("PATH=/usr/bin:/bin", "PORT=8080");
    assertThat(f.workdir()).isEqualTo("/app");
    assertThat(f.user()).isEqualTo("0");
    assertThat(f.port()).isEqualTo(8080);
    assertThat(f.digest()).isEqualTo(DIGEST);
  }

  @Test
  void hooksComeFromTheDeploymentElseFromTheImagesLabels() {
    ImageConfig labelled =
        new ImageConfig(
            PYTHON.entrypoint(),
            PYTHON.cmd(),
            PYTHON.env(),
            PYTHON.workingDir(),
            PYTHON.user(),
            PYTHON.exposedPorts(),
            null,
            java.util.Map.of(
                FunctionHooks.BEFORE_SNAPSHOT_LABEL, "/label-before",
                FunctionHooks.AFTER_RESTORE_LABEL, "/label-after"));
    assertThat(ImageOverrides.functionImage(image(PYTHON), ImageDeployment.of("x")).hooks())
        .isEqualTo(FunctionHooks.NONE);
    assertThat(ImageOverrides.functionImage(image(labelled), ImageDeployment.of("x")).hooks())
        .isEqualTo(new FunctionHooks("/label-before", "/label-after"));
    ImageDeployment mine = ImageDeployment.of("x").withHooks(new FunctionHooks(null, "/renew"));
    assertThat(ImageOverrides.functionImage(image(labelled), mine).hooks())
        .isEqualTo(new FunctionHooks("/label-before", "/renew"));
    assertThat(ImageOverrides.functionImage(image(PYTHON), mine).hooks())
        .isEqualTo(new FunctionHooks(null, "/renew"));
  }

  @Test
  void overridesFollowKubernetesCommandAndArgsAndEnvReplacesByName() {
    FunctionImage argsOnly =
        ImageOverrides.functionImage(
            image(PYTHON), deploy(9000, List.of("PORT=9000", "X=1"), null, List.of("-q")));
    assertThat(argsOnly.argv()).containsExactly("/usr/bin/python3", "/app/server.py", "-q");
    assertThat(argsOnly.env()).containsExactly("PATH=/usr/bin:/bin", "PORT=9000", "X=1");
    assertThat(argsOnly.port()).isEqualTo(9000);

    FunctionImage commandOnly =
        ImageOverrides.functionImage(image(PYTHON), deploy(null, null, List.of("/bin/sh"), null));
    assertThat(commandOnly.argv()).containsExactly("/bin/sh"); // the image's cmd is dropped

    FunctionImage both =
        ImageOverrides.functionImage(
            image(PYTHON), deploy(null, null, List.of("/bin/sh"), List.of("-c", "x")));
    assertThat(both.argv()).containsExactly("/bin/sh", "-c", "x");
  }

  @Test
  void portDefaultsToKnativesWhenNoneIsExposedAndMustBeChosenAmongSeveral() {
    ImageConfig none = new ImageConfig(List.of("/f"), List.of(), List.of(), "/", "", Set.of());
    assertThat(ImageOverrides.functionImage(image(none), ImageDeployment.of("x")).port())
        .isEqualTo(ImageOverrides.DEFAULT_PORT);

    ImageConfig two =
        new ImageConfig(List.of("/f"), List.of(), List.of(), "/", "", Set.of(8080, 9090));
    assertThatThrownBy(() -> ImageOverrides.functionImage(image(two), ImageDeployment.of("x")))
        .hasMessageContaining("exposes ports [8080, 9090]");
    assertThat(
            ImageOverrides.functionImage(image(two), ImageDeployment.of("x").withPort(9090)).port())
        .isEqualTo(9090);
  }

  @Test
  void aResolvedUserRunsWithItsIdsGroupsAndHomeUnlessHomeIsSet() {
    ImageConfig app =
        new ImageConfig(List.of("/f"), List.of(), List.of("A=1"), "/", "app", Set.of())
            .withResolvedUser(new ResolvedUser(1000, 1000, List.of(2000, 3000), "/home/app"));
    FunctionImage f = ImageOverrides.functionImage(image(app), ImageDeployment.of("x"));
    assertThat(f.user()).isEqualTo("1000:1000");
    assertThat(f.groups()).containsExactly(2000, 3000);
    assertThat(f.env()).containsExactly("A=1", "HOME=/home/app");

    FunctionImage deployed =
        ImageOverrides.functionImage(image(app), deploy(null, List.of("HOME=/tmp"), null, null));
    assertThat(deployed.env()).containsExactly("A=1", "HOME=/tmp");
    ImageConfig ownHome =
        new ImageConfig(List.of("/f"), List.of(), List.of("HOME=/srv"), "/", "7", Set.of())
            .withResolvedUser(new ResolvedUser(7, 0, List.of(), "/"));
    FunctionImage f2 = ImageOverrides.functionImage(image(ownHome), ImageDeployment.of("x"));
    assertThat(f2.env()).containsExactly("HOME=/srv");
    assertThat(f2.user()).isEqualTo("7:0");
    assertThat(f2.groups()).isEmpty();
  }

  @Test
  void refusesNamedUsersOfOldRecordsImagesWithoutCommandAndMalformedEnv() {
    // a root image recorded before users were resolved: names cannot be looked up any more
    ImageConfig named = new ImageConfig(List.of("/f"), List.of(), List.of(), "/", "app", Set.of());
    assertThatThrownBy(() -> ImageOverrides.functionImage(image(named), ImageDeployment.of("x")))
        .hasMessageContaining("user 'app'")
        .hasMessageContaining("built again");
    assertThat(
            ImageOverrides.functionImage(
                    image(
                        new ImageConfig(
                            List.of("/f"), List.of(), List.of(), "/", "1000:1000", Set.of())),
                    ImageDeployment.of("x"))
                .user())
        .isEqualTo("1000:1000");

    ImageConfig empty = new ImageConfig(List.of(), List.of(), List.of(), "/", "", Set.of());
    assertThatThrownBy(() -> ImageOverrides.functionImage(image(empty), ImageDeployment.of("x")))
        .hasMessageContaining("no entrypoint or cmd");
    assertThatThrownBy(
            () ->
                ImageOverrides.functionImage(
                    image(PYTHON), deploy(null, List.of("NOEQUALS"), null, null)))
        .hasMessageContaining("NAME=value");
  }
}
