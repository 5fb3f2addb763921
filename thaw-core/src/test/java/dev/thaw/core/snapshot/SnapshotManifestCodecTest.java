package dev.thaw.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.vmm.VmmIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotManifestCodecTest {
  private static final VmmIdentity HOST = new VmmIdentity("qemu", "7.2.22", "tcg", "microvm");
  private static final String ZEROS = "0".repeat(64);
  private static final String ONES = "1".repeat(64);

  @TempDir Path dir;

  private SnapshotManifest manifest(List<SnapshotFile> files) {
    return manifest(SnapshotManifest.FORMAT_VERSION, files);
  }

  private SnapshotManifest manifest(int version, List<SnapshotFile> files) {
    return new SnapshotManifest(
        version,
        "stateful-1",
        BuiltinFunctions.STATEFUL,
        HOST,
        new SnapshotManifest.Guest(ZEROS, ZEROS),
        Instant.parse("2026-11-26T14:00:00Z"),
        files);
  }

  private static SnapshotFile memory(long size, String... chunks) {
    return SnapshotFile.chunked(
        "memory",
        SnapshotFile.Role.MEMORY,
        size,
        new ChunkList(ChunkList.MIN_SIZE, Arrays.asList(chunks)));
  }

  private SnapshotManifest withFile(String content) throws Exception {
    Path f = Files.writeString(dir.resolve("state"), content);
    return manifest(
        SnapshotManifest.WHOLE_FILE_FORMAT,
        List.of(
            SnapshotFile.whole(
                "state", SnapshotFile.Role.STATE, Files.size(f), Digests.sha256(f))));
  }

  @Test
  void roundTrips() {
    SnapshotManifest m = manifest(List.of(memory(3 * ChunkList.MIN_SIZE, ONES, null, ONES)));
    String json = SnapshotManifestCodec.write(m);
    assertThat(json).contains("\"chunks\"").doesNotContain("\"sha256\" : \"");
    assertThat(SnapshotManifestCodec.read(json, HOST)).isEqualTo(m);
  }

  @Test
  void roundTripsAFunctionFromAnImageWithItsDisk() {
    FunctionSpec web =
        FunctionSpec.ofImage(
            "web",
            256,
            1,
            new FunctionImage(
                Path.of("/images/web.ext4"),
                "sha256:" + "cd".repeat(32),
                List.of("/bin/httpd", "-f"),
                List.of("PATH=/bin"),
                "/www",
                "0",
                8081));
    SnapshotManifest m =
        new SnapshotManifest(
            SnapshotManifest.FORMAT_VERSION,
            "web-1",
            web,
            HOST,
            new SnapshotManifest.Guest(ZEROS, ZEROS),
            Instant.parse("2026-11-26T14:00:00Z"),
            List.of(
                memory(ChunkList.MIN_SIZE, ONES),
                SnapshotFile.chunked(
                    "disk",
                    SnapshotFile.Role.DISK,
                    10,
                    new ChunkList(ChunkList.MIN_SIZE, List.of(ONES)))));
    String json = SnapshotManifestCodec.write(m);
    assertThat(json).contains("\"image\"", "\"DISK\"").doesNotContain("hooks");
    assertThat(SnapshotManifestCodec.read(json, HOST)).isEqualTo(m);

    // Hooks travel with the function, so that every node that restores it asks them.
    FunctionSpec hooked =
        FunctionSpec.ofImage(
            "web", 256, 1, web.image().withHooks(new FunctionHooks("/prepare", "/renew?all=1")));
    SnapshotManifest withHooks =
        new SnapshotManifest(
            m.formatVersion(), m.revision(), hooked, HOST, m.guest(), m.createdAt(), m.files());
    String hookedJson = SnapshotManifestCodec.write(withHooks);
    assertThat(hookedJson).contains("\"beforeSnapshot\" : \"/prepare\"");
    assertThat(SnapshotManifestCodec.read(hookedJson, HOST)).isEqualTo(withHooks);
  }

  @Test
  void rootImageReadsAreWrittenOnlyWhenRecorded_andManifestsWithoutThemRead() {
    SnapshotManifest plain = manifest(List.of(memory(ChunkList.MIN_SIZE, ONES)));
    String json = SnapshotManifestCodec.write(plain);
    assertThat(json).doesNotContain("rootImageReads");
    assertThat(SnapshotManifestCodec.read(json, HOST).rootImageReads()).isEmpty();

    SnapshotManifest recorded = plain.withRootImageReads(List.of(7, 0, 300));
    String recordedJson = SnapshotManifestCodec.write(recorded);
    assertThat(recordedJson).contains("\"rootImageReads\"");
    SnapshotManifest read = SnapshotManifestCodec.read(recordedJson, HOST);
    assertThat(read).isEqualTo(recorded);
    assertThat(read.rootImageReads()).containsExactly(7, 0, 300);
    // The working set added later keeps them.
    assertThat(read.withWorkingSet(List.of(0), null).rootImageReads()).containsExactly(7, 0, 300);

    assertThatThrownBy(
            () ->
                SnapshotManifestCodec.read(
                    recordedJson.replace("\"rootImageReads\" : [ 7", "\"rootImageReads\" : [ -7"),
                    HOST))
        .isInstanceOf(MalformedManifestException.class)
        .hasMessageContaining("negative");
  }

  @Test
  void aBuiltInFunctionsManifestHasNoImageField() {
    String json = SnapshotManifestCodec.write(manifest(List.of()));
    assertThat(json).doesNotContain("image");
    assertThat(SnapshotManifestCodec.read(json, HOST).function())
        .isEqualTo(BuiltinFunctions.STATEFUL);
  }

  @Test
  void aFunctionsTimeoutIsWrittenOnlyWhenItIsNotTheDefault_andOlderManifestsRead() {
    String json = SnapshotManifestCodec.write(manifest(List.of()));
    assertThat(json).doesNotContain("timeoutSeconds");
    assertThat(SnapshotManifestCodec.read(json, HOST).function().timeout()).hasSeconds(60);

    FunctionSpec timed = BuiltinFunctions.STATEFUL.withTimeoutSeconds(5);
    SnapshotManifest m =
        new SnapshotManifest(
            SnapshotManifest.FORMAT_VERSION,
            "stateful-1",
            timed,
            HOST,
            new SnapshotManifest.Guest(ZEROS, ZEROS),
            Instant.parse("2026-11-26T14:00:00Z"),
            List.of());
    String written = SnapshotManifestCodec.write(m);
    assertThat(written).contains("\"timeoutSeconds\" : 5");
    assertThat(SnapshotManifestCodec.read(written, HOST)).isEqualTo(m);
    assertThatThrownBy(
            () ->
                SnapshotManifestCodec.read(
                    written.replace("\"timeoutSeconds\" : 5", "\"timeoutSeconds\" : 5000"), HOST))
        .isInstanceOf(MalformedManifestException.class)
        .hasMessageContaining("timeout must be within 1..900 s");
  }

  @Test
  void readsTheWholeFileFormatStill() {
    SnapshotManifest m =
        manifest(
            SnapshotManifest.WHOLE_FILE_FORMAT,
            List.of(SnapshotFile.whole("memory", SnapshotFile.Role.MEMORY, 42, ZEROS)));
    SnapshotManifest read = SnapshotManifestCodec.read(SnapshotManifestCodec.write(m), HOST);
    assertThat(read).isEqualTo(m);
    assertThat(read.chunked()).isFalse();
  }

  @Test
  void rejectsAChunkListThatDoesNotCoverTheFile() {
    String json =
        SnapshotManifestCodec.write(manifest(List.of(memory(2 * ChunkList.MIN_SIZE, ONES, null))))
            .replace("\"size\" : 8192", "\"size\" : 12288");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(MalformedManifestException.class)
        .hasMessageContaining("lists 2 chunks; 12288 bytes in chunks of 4096 make 3");
  }

  @Test
  void rejectsMixingTheFormats() {
    String json =
        SnapshotManifestCodec.write(manifest(List.of(memory(ChunkList.MIN_SIZE, ONES))))
            .replace("\"formatVersion\" : 2", "\"formatVersion\" : 1");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(MalformedManifestException.class)
        .hasMessageContaining("has a chunk list (format 1 has none)");
  }

  @Test
  void verifiesChunksOfTheFiles() throws Exception {
    byte[] content = new byte[3 * ChunkList.MIN_SIZE - 100];
    new Random(7).nextBytes(content);
    Arrays.fill(content, ChunkList.MIN_SIZE, 2 * ChunkList.MIN_SIZE, (byte) 0);
    Path f = Files.write(dir.resolve("memory"), content);
    ChunkList chunks = Chunker.describe(f, ChunkList.MIN_SIZE);
    assertThat(chunks.sha256()).hasSize(3);
    assertThat(chunks.isZero(1)).isTrue();
    assertThat(chunks.length(2, content.length)).isEqualTo(ChunkList.MIN_SIZE - 100);
    SnapshotManifest m =
        manifest(
            List.of(
                SnapshotFile.chunked("memory", SnapshotFile.Role.MEMORY, content.length, chunks)));
    SnapshotManifestCodec.verifyFiles(m, dir);

    content[ChunkList.MIN_SIZE + 5] = 1;
    Files.write(f, content);
    assertThatThrownBy(() -> SnapshotManifestCodec.verifyFiles(m, dir))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("memory chunk 1 should be zeros");

    content[ChunkList.MIN_SIZE + 5] = 0;
    content[2 * ChunkList.MIN_SIZE + 5] ^= 1;
    Files.write(f, content);
    assertThatThrownBy(() -> SnapshotManifestCodec.verifyFiles(m, dir))
        .isInstanceOf(SnapshotMismatchException.class)
        .hasMessageContaining("memory chunk 2 has sha256");
  }

  @Test
  void rejectsAnUnknownFormatVersion() {
    String json =
        SnapshotManifestCodec.write(manifest(List.of()))
            .replace("\"formatVersion\" : 2", "\"formatVersion\" : 7");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(UnsupportedFormatVersionException.class)
        .hasMessageContaining("formatVersion 7")
        .hasMessageContaining("this build reads 1 and 2");
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
        SnapshotManifestCodec.write(manifest(List.of(memory(ChunkList.MIN_SIZE, ONES))))
            .replace("\"name\" : \"memory\"", "\"name\" : \"../../etc/passwd\"");
    assertThatThrownBy(() -> SnapshotManifestCodec.read(json, HOST))
        .isInstanceOf(UnsafeFileNameException.class)
        .hasMessageContaining("../../etc/passwd");
    assertThatThrownBy(() -> SnapshotFile.whole("..", SnapshotFile.Role.STATE, 1, ZEROS))
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

  @Test
  void aPacedCheckIsToldOfEveryByteAndStopsWhenThePacerSaysSo() throws Exception {
    byte[] content = new byte[3 * ChunkList.MIN_SIZE - 100];
    new Random(9).nextBytes(content);
    Path f = Files.write(dir.resolve("memory"), content);
    SnapshotManifest m =
        manifest(
            List.of(
                SnapshotFile.chunked(
                    "memory",
                    SnapshotFile.Role.MEMORY,
                    content.length,
                    Chunker.describe(f, ChunkList.MIN_SIZE))));
    java.util.concurrent.atomic.AtomicLong told = new java.util.concurrent.atomic.AtomicLong();
    SnapshotManifestCodec.verifyFiles(m, dir, told::addAndGet);
    assertThat(told.get()).as("chunks").isEqualTo(content.length);
    told.set(0);
    SnapshotManifestCodec.verifyFiles(withFile("device state"), dir, told::addAndGet);
    assertThat(told.get()).as("a whole file").isEqualTo(12);

    assertThatThrownBy(
            () ->
                SnapshotManifestCodec.verifyFiles(
                    m,
                    dir,
                    bytes -> {
                      throw new java.io.InterruptedIOException("stopped");
                    }))
        .isInstanceOf(java.io.InterruptedIOException.class);
  }
}
