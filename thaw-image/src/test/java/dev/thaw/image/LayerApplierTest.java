package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.image.UnsafeLayerEntryException.Reason;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers applied as runtimes apply them, and hostile entries refused before harm. */
class LayerApplierTest {
  private static final String LAYER = "sha256:" + "ab".repeat(32);

  @TempDir Path tmp;
  private Path root;
  private Path outside;
  private LayerApplier applier;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectory(tmp.resolve("root"));
    outside = Files.createDirectory(tmp.resolve("outside"));
    applier = new LayerApplier(root, LayerLimits.DEFAULT, RootImageBuilder.canSetOwners());
  }

  private void apply(byte[] layer) throws Exception {
    applier.apply(LAYER, new ByteArrayInputStream(layer));
  }

  private static String read(Path p) throws Exception {
    return Files.readString(p, StandardCharsets.UTF_8);
  }

  private void assertNothingOutside() throws Exception {
    try (Stream<Path> s = Files.list(outside)) {
      assertThat(s).as("nothing written outside the root").isEmpty();
    }
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("root", "outside");
    }
  }

  @Test
  void filesLinksAndModesAreKeptAndLaterLayersReplaceEarlierOnes() throws Exception {
    apply(
        Tars.tar()
            .dir("usr/")
            .dir("usr/bin/")
            .file("usr/bin/tool", "v1".getBytes(StandardCharsets.UTF_8), 04755, 0, 0)
            .symlink("usr/bin/alias", "tool")
            .hardlink("usr/bin/same", "usr/bin/tool")
            .file("./etc/conf", "a".getBytes(StandardCharsets.UTF_8), 0600, 1000, 1001)
            .gzip());
    apply(Tars.tar().file("usr/bin/alias", "now a file").zstd());

    Path tool = root.resolve("usr/bin/tool");
    assertThat(read(tool)).isEqualTo("v1");
    assertThat(Files.getAttribute(tool, "unix:mode")).isEqualTo(0104755);
    assertThat(Files.isSameFile(tool, root.resolve("usr/bin/same"))).isTrue();
    assertThat(Files.isSymbolicLink(root.resolve("usr/bin/alias"))).isFalse();
    assertThat(read(root.resolve("usr/bin/alias"))).isEqualTo("now a file");
    assertThat(read(tool)).as("replacing the link left its target alone").isEqualTo("v1");
    Path conf = root.resolve("etc/conf");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)))
        .isEqualTo("rw-------");
    if (RootImageBuilder.canSetOwners()) {
      assertThat(Files.getAttribute(conf, "unix:uid")).isEqualTo(1000);
      assertThat(Files.getAttribute(conf, "unix:gid")).isEqualTo(1001);
    }
    assertThat(Files.getLastModifiedTime(conf).toInstant()).isEqualTo(Tars.TIME);
  }

  @Test
  void aDirectoryKeptAcrossLayersTakesTheLaterOwnerModeAndTime() throws Exception {
    apply(Tars.tar().dir("shared/", 02770, 5, 50).file("shared/old", "x").bytes());
    apply(Tars.tar().file("shared/new", "y").bytes());
    if (RootImageBuilder.canSetOwners()) {
      assertThat(Files.getAttribute(root.resolve("shared/new"), "unix:gid"))
          .as("its own group, not the set-group-ID directory's")
          .isEqualTo(0);
    }
    apply(Tars.tar().dir("shared/", 0755, 0, 0).bytes());
    applier.finish();

    Path shared = root.resolve("shared");
    assertThat(Files.getAttribute(shared, "unix:mode")).isEqualTo(040755);
    assertThat(root.resolve("shared/old")).exists();
    assertThat(Files.getLastModifiedTime(shared).toInstant())
        .as("its entry's time, though a file was created in it after")
        .isEqualTo(Tars.TIME);
    if (RootImageBuilder.canSetOwners()) {
      assertThat(Files.getAttribute(shared, "unix:uid")).isEqualTo(0);
    }
  }

  @Test
  void whiteoutsDeleteLowerFilesAndOpaqueDirectoriesLoseTheirOldChildren() throws Exception {
    apply(
        Tars.tar()
            .file("a/gone", "x")
            .file("a/kept", "x")
            .file("b/old1", "x")
            .dir("b/old2/")
            .file("b/old2/deep", "x")
            .bytes());
    apply(Tars.tar().file("a/.wh.gone", "").file("b/new", "y").file("b/.wh..wh..opq", "").bytes());

    assertThat(root.resolve("a/gone")).doesNotExist();
    assertThat(root.resolve("a/kept")).exists();
    assertThat(root.resolve("a/.wh.gone")).doesNotExist();
    try (Stream<Path> b = Files.list(root.resolve("b"))) {
      assertThat(b.map(p -> p.getFileName().toString())).containsExactly("new");
    }
  }

  @Test
  void aWhiteoutDeletesADirectoryAndNeverFollowsALinkInto() throws Exception {
    Files.writeString(outside.resolve("victim"), "keep me");
    apply(Tars.tar().symlink("link", outside.toString()).dir("d/").file("d/f", "x").bytes());
    apply(Tars.tar().file(".wh.link", "").file(".wh.d", "").bytes());

    assertThat(root.resolve("link")).doesNotExist();
    assertThat(root.resolve("d")).doesNotExist();
    assertThat(read(outside.resolve("victim"))).isEqualTo("keep me");
  }

  @Test
  void parentTraversalIsRefusedNamingLayerAndEntry() throws Exception {
    byte[] layer = Tars.tar().file("ok", "x").file("a/../../outside/evil", "x").bytes();
    assertThatThrownBy(() -> apply(layer))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.PARENT_TRAVERSAL);
              assertThat(e.entry()).isEqualTo("a/../../outside/evil");
              assertThat(e.layer()).isEqualTo(LAYER);
            })
        .hasMessageContaining(LAYER)
        .hasMessageContaining("a/../../outside/evil");
    assertNothingOutside();
  }

  @Test
  void absolutePathsAreRefused() throws Exception {
    byte[] layer = Tars.tar().file(outside.resolve("evil").toString(), "x").bytes();
    assertThatThrownBy(() -> apply(layer))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.ABSOLUTE_PATH));
    assertNothingOutside();
  }

  @Test
  void aFileWrittenThroughASymlinkToOutsideIsRefused() throws Exception {
    byte[] layer =
        Tars.tar().symlink("escape", outside.toString()).file("escape/evil", "x").bytes();
    assertThatThrownBy(() -> apply(layer))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.THROUGH_SYMLINK))
        .hasMessageContaining("escape/evil")
        .hasMessageContaining("is a link to");
    assertNothingOutside();
  }

  @Test
  void aRelativeSymlinkClimbingOutIsNotFollowedByALaterLayer() throws Exception {
    apply(Tars.tar().symlink("up", "../outside").bytes());
    byte[] later = Tars.tar().file("up/evil", "x").bytes();
    assertThatThrownBy(() -> apply(later))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.THROUGH_SYMLINK));
    assertNothingOutside();
  }

  @Test
  void aDirectoryEntryReplacesASymlinkOfTheSameName() throws Exception {
    apply(Tars.tar().symlink("up", "../outside").bytes());
    apply(Tars.tar().dir("up/").file("up/inside", "x").bytes());
    assertThat(Files.isSymbolicLink(root.resolve("up"))).isFalse();
    assertThat(root.resolve("up/inside")).exists();
    assertNothingOutside();
  }

  @Test
  void aFileReplacingASymlinkReplacesTheLinkNotItsTarget() throws Exception {
    Files.writeString(outside.resolve("passwd"), "host");
    apply(Tars.tar().symlink("passwd", outside.resolve("passwd").toString()).bytes());
    apply(Tars.tar().file("passwd", "image").bytes());
    assertThat(read(outside.resolve("passwd"))).isEqualTo("host");
    assertThat(Files.isSymbolicLink(root.resolve("passwd"))).isFalse();
    assertThat(read(root.resolve("passwd"))).isEqualTo("image");
  }

  @Test
  void hardLinksToOutsideOrThroughLinksAreRefused() throws Exception {
    Files.writeString(outside.resolve("secret"), "s");
    assertThatThrownBy(() -> apply(Tars.tar().hardlink("h", "../outside/secret").bytes()))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.PARENT_TRAVERSAL));
    byte[] viaLink = Tars.tar().symlink("o", outside.toString()).hardlink("h", "o/secret").bytes();
    assertThatThrownBy(() -> apply(viaLink))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.THROUGH_SYMLINK));
    assertThatThrownBy(() -> apply(Tars.tar().symlink("l", "x").hardlink("h", "l").bytes()))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.BAD_HARD_LINK));
    assertThat(root.resolve("h")).doesNotExist();
    assertThat(Files.getAttribute(outside.resolve("secret"), "unix:nlink")).isEqualTo(1);
  }

  @Test
  void deviceNodesAreRefusedAndFifosSkippedWithANote() throws Exception {
    assertThatThrownBy(() -> apply(Tars.tar().special("dev/null", TarConstants.LF_CHR).bytes()))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.DEVICE_NODE))
        .hasMessageContaining("dev/null");
    assertThatThrownBy(() -> apply(Tars.tar().special("sda", TarConstants.LF_BLK).bytes()))
        .isInstanceOf(UnsafeLayerEntryException.class);
    apply(Tars.tar().special("pipe", TarConstants.LF_FIFO).file("f", "x").bytes());
    assertThat(root.resolve("pipe")).doesNotExist();
    assertThat(root.resolve("f")).exists();
    assertThat(applier.notes()).singleElement().asString().contains("pipe (a FIFO)");
  }

  @Test
  void aLayerOverTheLimitIsRefusedWhileItIsRead() throws Exception {
    LayerApplier small = new LayerApplier(root, new LayerLimits(64 << 10, 1 << 20), false);
    byte[] big = Tars.tar().file("big", new byte[100 << 10], 0644, 0, 0).gzip();
    assertThat(big.length).as("small compressed: the limit applies unpacked").isLessThan(64 << 10);
    assertThatThrownBy(() -> small.apply(LAYER, new ByteArrayInputStream(big)))
        .isInstanceOf(LayerTooLargeException.class)
        .hasMessageContaining(LAYER)
        .hasMessageContaining("65536");
  }

  @Test
  void anImageOverTheTotalLimitIsRefusedInTheLayerThatPassesIt() throws Exception {
    LayerApplier small = new LayerApplier(root, new LayerLimits(1 << 20, 300 << 10), false);
    byte[] layer = Tars.tar().file("f", new byte[200 << 10], 0644, 0, 0).bytes();
    small.apply("sha256:first", new ByteArrayInputStream(layer));
    assertThatThrownBy(() -> small.apply("sha256:second", new ByteArrayInputStream(layer)))
        .isInstanceOf(LayerTooLargeException.class)
        .hasMessageContaining("sha256:second");
  }

  @Test
  void aFileWhereADirectoryIsNeededIsRefused() throws Exception {
    assertThatThrownBy(() -> apply(Tars.tar().file("f", "x").file("f/g", "y").bytes()))
        .isInstanceOfSatisfying(
            UnsafeLayerEntryException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.NOT_A_DIRECTORY));
    assertThat(Files.isRegularFile(root.resolve("f"), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }
}
