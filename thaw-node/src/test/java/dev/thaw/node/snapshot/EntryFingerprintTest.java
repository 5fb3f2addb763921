package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.EntryFingerprint.FileFingerprint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EntryFingerprintTest {
  private static final FileTime T0 = FileTime.fromMillis(1_700_000_000_000L);
  private static final FileTime T1 = FileTime.fromMillis(1_700_000_000_001L);

  private static final FileFingerprint MEMORY = new FileFingerprint("memory", 100, "ino:7", T0, T0);
  private static final FileFingerprint STATE = new FileFingerprint("state", 10, "ino:8", T0, T0);
  private static final EntryFingerprint THEN = new EntryFingerprint(List.of(MEMORY, STATE));

  @TempDir Path dir;

  private static Optional<EntryFingerprint.Change> memoryNow(FileFingerprint memory) {
    return THEN.changeIn(List.of(Optional.of(memory), Optional.of(STATE)));
  }

  @Test
  void theSameFilesAreNoChange() {
    assertThat(memoryNow(MEMORY)).isEmpty();
  }

  @Test
  void aNewSizeIsAChange() {
    assertThat(memoryNow(new FileFingerprint("memory", 99, "ino:7", T0, T0)))
        .hasValueSatisfying(
            c -> {
              assertThat(c.file()).isEqualTo("memory");
              assertThat(c.how()).contains("resized to 99 bytes (was 100)");
            });
  }

  @Test
  void aNewModificationTimeIsAChange() {
    assertThat(memoryNow(new FileFingerprint("memory", 100, "ino:7", T1, T1)))
        .hasValueSatisfying(c -> assertThat(c.how()).startsWith("modified at"));
  }

  @Test
  void aNewCtimeUnderTheOldModificationTimeIsAChange() {
    assertThat(memoryNow(new FileFingerprint("memory", 100, "ino:7", T0, T1)))
        .hasValueSatisfying(
            c -> assertThat(c.how()).contains("ctime").contains("modification time kept"));
  }

  @Test
  void anotherInodeIsAChangeEvenWithEverythingElseKept() {
    assertThat(memoryNow(new FileFingerprint("memory", 100, "ino:9", T0, T0)))
        .hasValueSatisfying(c -> assertThat(c.how()).startsWith("replaced by another file"));
  }

  @Test
  void aMissingFileIsAChangeAndTheFirstChangedFileIsNamed() {
    assertThat(THEN.changeIn(List.of(Optional.of(MEMORY), Optional.empty())))
        .hasValueSatisfying(c -> assertThat(c.file()).isEqualTo("state"));
    FileFingerprint resizedState = new FileFingerprint("state", 11, "ino:8", T0, T0);
    FileFingerprint resizedMemory = new FileFingerprint("memory", 101, "ino:7", T0, T0);
    assertThat(THEN.changeIn(List.of(Optional.of(resizedMemory), Optional.of(resizedState))))
        .hasValueSatisfying(c -> assertThat(c.file()).isEqualTo("memory"));
  }

  // The same decisions on real files, as a stat sees them.

  private SnapshotManifest written() throws Exception {
    Path memory = Files.write(dir.resolve("memory"), "hello world, v1".getBytes());
    return SnapshotFixtures.manifest(
        "r1",
        BuiltinFunctions.HELLO,
        SnapshotManifest.WHOLE_FILE_FORMAT,
        List.of(
            SnapshotFile.whole(
                "memory", SnapshotFile.Role.MEMORY, Files.size(memory), Digests.sha256(memory))));
  }

  @Test
  void anInPlaceWriteWithItsModificationTimeSetBackShowsInTheCtime() throws Exception {
    SnapshotManifest m = written();
    EntryFingerprint then = EntryFingerprint.take(m, dir);
    assertThat(then.check(dir)).isEmpty();
    Path memory = dir.resolve("memory");
    Tampering.rewriteInPlace(memory, "v1", "v2");

    assertThat(Files.size(memory)).isEqualTo(m.files().get(0).size());
    assertThat(then.check(dir))
        .hasValueSatisfying(
            c -> {
              assertThat(c.file()).isEqualTo("memory");
              assertThat(c.how()).contains("ctime");
            });
  }

  @Test
  void aFileReplacedByRenameIsAnotherInode() throws Exception {
    SnapshotManifest m = written();
    EntryFingerprint then = EntryFingerprint.take(m, dir);
    Path memory = dir.resolve("memory");
    FileTime mtime = Files.getLastModifiedTime(memory);
    Path other = Files.write(dir.resolve("memory.new"), "hello world, v2".getBytes());
    Files.setLastModifiedTime(other, mtime);
    Files.move(other, memory, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    assertThat(then.check(dir))
        .hasValueSatisfying(c -> assertThat(c.how()).startsWith("replaced by another file"));
  }

  @Test
  void aDeletedFileIsAChange() throws Exception {
    SnapshotManifest m = written();
    EntryFingerprint then = EntryFingerprint.take(m, dir);
    Files.delete(dir.resolve("memory"));
    assertThat(then.check(dir))
        .hasValueSatisfying(c -> assertThat(c.how()).isEqualTo("is gone or unreadable"));
  }
}
