package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A build resolves the config's User against the layers' own /etc/passwd and /etc/group. */
class RootImageUsersTest {
  private static final String PASSWD =
      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  private static final String GROUP =
      "root:x:0:\napp:x:1000:\naudio:x:2000:app\nvideo:x:3000:root,app\n";

  @TempDir Path tmp;
  private final ImageSources.Registries registries =
      ImageSources.Registries.fromEnvironment(Map.of());

  private static String config(String user) {
    return "{\"Entrypoint\":[\"/bin/app\"],\"User\":\"" + user + "\"}";
  }

  private RootImageBuilder builder() throws Exception {
    return RootImageBuilder.builder(
            RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now))
        .build();
  }

  private RootImage build(RootImageBuilder builder, Path layout) throws Exception {
    try (ImageSource s = ImageSources.open(layout.toString(), registries)) {
      return builder.build(s).image();
    }
  }

  @Test
  void aNamedUserResolvesThroughALinkedPasswdAndIsKeptInTheCache() throws Exception {
    byte[] layer =
        Tars.tar()
            .dir("etc")
            .dir("usr")
            .dir("usr/lib")
            .file("usr/lib/passwd", PASSWD)
            .symlink("etc/passwd", "../usr/lib/passwd")
            .symlink("etc/group", "/usr/lib/group")
            .file("usr/lib/group", GROUP)
            .file("bin/app", "#!app")
            .bytes();
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), config("app"), layer);
    RootImageBuilder builder = builder();
    ResolvedUser expected = new ResolvedUser(1000, 1000, List.of(2000, 3000), "/home/app");
    assertThat(build(builder, w.dir()).config().resolvedUser()).isEqualTo(expected);
    // found in the cache: the resolution was written with the entry and reads back
    assertThat(build(builder, w.dir()).config().resolvedUser()).isEqualTo(expected);
    RootImageCache reopened = RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now);
    assertThat(reopened.get(w.digest(), builder.format()).orElseThrow().config().resolvedUser())
        .isEqualTo(expected);
  }

  @Test
  void aUserTheImageLacksIsRefusedNamingItAndTheImage() throws Exception {
    byte[] layer =
        Tars.tar().dir("etc").file("etc/passwd", PASSWD).file("etc/group", GROUP).bytes();
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), config("nobody-here"), layer);
    RootImageBuilder builder = builder();
    assertThatThrownBy(() -> build(builder, w.dir()))
        .isInstanceOf(UnknownUserException.class)
        .hasMessageContaining("'nobody-here'")
        .hasMessageContaining(w.dir().toString());
    assertThat(builder.cache().get(w.digest(), builder.format())).isEmpty();
  }

  @Test
  void aPasswdLinkThatLeavesTheImageReadsAsNoPasswdNotTheHosts() throws Exception {
    byte[] layer =
        Tars.tar()
            .dir("etc")
            .symlink("etc/passwd", "../../../../../../../../etc/passwd")
            .file("etc/group", GROUP)
            .bytes();
    // the host has a root entry; the image, whose link escapes, has none
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), config("root"), layer);
    assertThatThrownBy(() -> build(builder(), w.dir()))
        .isInstanceOf(UnknownUserException.class)
        .hasMessageContaining("'root'");
  }

  @Test
  void withoutPasswdANumericUserRunsWithGroupZero() throws Exception {
    Layouts.Written w =
        Layouts.layout(
            tmp.resolve("layout"), config("4242"), Tars.tar().file("bin/app", "#!").bytes());
    assertThat(build(builder(), w.dir()).config().resolvedUser())
        .isEqualTo(new ResolvedUser(4242, 0, List.of(), "/"));
  }

  @Test
  void linksResolveInsideTheTreeOnly() throws Exception {
    Path root = Files.createDirectory(tmp.resolve("root"));
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve("a/b/f"), "inside");
    Files.createSymbolicLink(root.resolve("abs"), Path.of("/a/b"));
    Files.createSymbolicLink(root.resolve("up"), Path.of("../.."));
    Files.createSymbolicLink(root.resolve("loop"), Path.of("loop"));
    Files.createSymbolicLink(root.resolve("a/b/g"), Path.of("../../a/./b/f"));
    assertThat(TreeFiles.read(root, "/abs/f", 100)).contains("inside");
    assertThat(TreeFiles.read(root, "/a/b/g", 100)).contains("inside");
    assertThat(TreeFiles.read(root, "/a/../a/b/f", 100)).contains("inside");
    assertThat(TreeFiles.read(root, "/up/etc/passwd", 100)).isEmpty();
    assertThat(TreeFiles.read(root, "/../etc/passwd", 100)).isEmpty();
    assertThat(TreeFiles.read(root, "/loop", 100)).isEmpty();
    assertThat(TreeFiles.read(root, "/a/b", 100)).isEmpty();
    assertThat(TreeFiles.read(root, "/a/b/f/x", 100)).isEmpty();
    assertThat(TreeFiles.read(root, "/missing", 100)).isEmpty();
    assertThatThrownBy(() -> TreeFiles.read(root, "/a/b/f", 3))
        .isInstanceOf(ImageException.class)
        .hasMessageContaining("/a/b/f");
  }
}
