package dev.thaw.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.vmm.VmmIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotManifestCodecTest {
  private static final VmmIdentity HOST = new VmmIdentity("qemu", "7.2.22", "tcg", "microvm");
  private static final String ZEROS = "0".repeat(64);

  @TempDir Path dir;

  private SnapshotManifest manifest(List<SnapshotFile> files) {
    return new SnapshotManifest(
        SnapshotManifest.FORMAT_VERSION,
        "stateful-1",
        BuiltinFunctions.STATEFUL,
        HOST,
        new SnapshotManifest.Guest(ZEROS, ZEROS),
        Instant.parse("2026-11-26T14:00:00Z"),
        files);
  }

  private SnapshotManifest withFile(String content) throws Exception {
    Path f = Files.writeString(dir.resolve("state"), content);
    return manifest(
        List.of(
            new SnapshotFile("state", SnapshotFile.Role.STATE, Files.size(f), Digests.sha256(f))));
  }

  @Test
  void roundTrips() {
    SnapshotManifest m =
        manifest(List.of(new SnapshotFile("memory", SnapshotFile.Role.MEMORY, 42, ZEROS)));
    assertThat(SnapshotManifestCodec.read(SnapshotManifestCodec.write(m), HOST)).isEqualTo(m);
  }

  @Test
  void rejectsAnUnknownFormatVersion() {
    String json =
        SnapshotManifestCodec.write(manifest(List.of()))
            .replace("\"formatVersion\" : 1", "\"formatVersion\" : 7");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(UnsupportedFormatVersionException.class)
        .hasMessageContaining("formatVersion 7");
  }

  @Test
  void rejectsUnknownFields() {
    String json =
        SnapshotManifestCodec.write(manifest(List.of())).replaceFirst("\\{", "{\"extra\": true,");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(MalformedManifestException.class)
        .hasMessageContaining("extra");
  }

  @Test
  void rejectsMissingFieldsAndBrokenJson() {
    assertThatThrownBy(() -> SnapshotManifestCodec.read("{\"formatVersion\": 1}", HOST))
        .isInstanceOf(MalformedManifestException.class);
    assertThatThrownBy(() -> SnapshotManifestCodec.read("{\"formatVersion\": 1,", HOST))
        .isInstanceOf(MalformedManifestException.class);
    assertThatThrownBy(() -> SnapshotManifestCodec.read("[]", HOST))
        .isInstanceOf(MalformedManifestException.class);
  }

  @Test
  void rejectsFileNamesThatAreNotPlain() {
    String json =
        SnapshotManifestCodec.write(
                manifest(List.of(new SnapshotFile("memory", SnapshotFile.Role.MEMORY, 1, ZEROS))))
            .replace("\"name\" : \"memory\"", "\"name\" : \"../../etc/passwd\"");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(UnsafeFileNameException.class)
        .hasMessageContaining("../../etc/passwd");
    assertThatThrownBy(() -> new SnapshotFile("..", SnapshotFile.Role.STATE, 1, ZEROS))
        .isInstanceOf(UnsafeFileNameException.class);
  }

  @Test
  void rejectsAnotherVmmIdentity() {
    String json = SnapshotManifestCodec.write(manifest(List.of()));
    VmmIdentity kvmHost = new VmmIdentity("qemu", "7.2.22", "kvm", "microvm");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, kvmHost))
        .isInstanceOf(IncompatibleSnapshotException.class)
        .hasMessageContaining("cannot be restored by qemu 7.2.22 (kvm, microvm)");
  }

  @Test
  void verifiesSizesAndDigestsOfTheFiles() throws Exception {
    SnapshotManifest m = withFile("device state");
    SnapshotManifestCodec.verifyFiles(m, dir);

    Files.writeString(dir.resolve("state"), "device stat");
    assertThatThrownBy(() -> SnapshotManifestCodec.verifyFiles(m, dir))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("is 11 bytes; the manifest says 12");

    Files.writeString(dir.resolve("state"), "device STATE");
    assertThatThrownBy(() -> SnapshotManifestCodec.verifyFiles(m, dir))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("has sha256");

    Files.delete(dir.resolve("state"));
    assertThatThrownBy(() -> SnapshotManifestCodec.verifyFiles(m, dir))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("missing");
  }
}
