package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layer templates, made with the real mke2fs and qemu-img (scripts/setup installs both). */
class DiskLayersTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;

  @Test
  void aBootsLayerIsASmallQcow2OfTheConfiguredSizeMadeOnce() throws Exception {
    DiskLayers layers = new DiskLayers(dir.resolve("t"), 64 * MIB, "qemu-img");
    layers.newLayer(dir.resolve("a.qcow2"));
    assertThat(DiskLayers.virtualSize(dir.resolve("a.qcow2"))).isEqualTo(64 * MIB);
    assertThat(Files.size(dir.resolve("a.qcow2"))).isLessThan(4 * MIB);
    Path template;
    try (var made = Files.list(dir.resolve("t"))) {
      template =
          made.filter(p -> p.getFileName().toString().startsWith("layer-")).findFirst().get();
    }
    FileTime made = Files.getLastModifiedTime(template);
    layers.newLayer(dir.resolve("b.qcow2"));
    assertThat(Files.getLastModifiedTime(template)).isEqualTo(made);
    assertThat(Files.mismatch(dir.resolve("a.qcow2"), dir.resolve("b.qcow2"))).isEqualTo(-1);
  }

  @Test
  void aClonesOverlayTakesTheSizeOfItsSnapshotsLayer() throws Exception {
    new DiskLayers(dir.resolve("t"), 32 * MIB, "qemu-img").newLayer(dir.resolve("snap"));
    DiskLayers other = new DiskLayers(dir.resolve("t"), 64 * MIB, "qemu-img");
    other.newOverlay(dir.resolve("snap"), dir.resolve("clone.qcow2"));
    assertThat(DiskLayers.virtualSize(dir.resolve("clone.qcow2"))).isEqualTo(32 * MIB);
    assertThat(Files.size(dir.resolve("clone.qcow2"))).isLessThan(MIB);
  }

  @Test
  void refusesWhatIsNotALayer() throws Exception {
    Files.writeString(dir.resolve("raw"), "x".repeat(100));
    assertThatThrownBy(() -> DiskLayers.virtualSize(dir.resolve("raw")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a qcow2 image");
    assertThatThrownBy(() -> new DiskLayers(dir, 10 * MIB, "qemu-img"))
        .hasMessageContaining("16 MiB or more");
  }
}
