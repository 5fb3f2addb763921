package dev.thaw.node.snapshot.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.node.snapshot.cache.EntryFingerprint.FileFingerprint;
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

  private static final FileFingerprint MEMORY =
      new FileFingerprint("memory", 100, "ino:7", 1, T0, T0);
  private static final FileFingerprint STATE = new FileFingerprint("state", 10, "ino:8", 1, T0, T0);
  private static final EntryFingerprint THEN = new EntryFingerprint(List.of(MEMORY, STATE));

  @TempDir Path dir;

  private static EntryFingerprint.Check memoryNow(FileFingerprint memory) {
    return THEN.compareWith(List.of(Optional.of(memory), Optional.of(STATE)));
  }

  /** The change a check found; fails when it found none. */
  private static EntryFingerprint.Change change(EntryFingerprint.Check check) {
    assertThat(check).isInstanceOf(EntryFingerprint.Changed.class);
    return ((EntryFingerprint.Changed) check).change();
  }

  @Test
  void theSameFilesAreNoChange() {
    assertThat(memoryNow(MEMORY)).isEqualTo(new EntryFingerprint.Same());
  }

  @Test
  void aNewSizeIsAChange() {
    EntryFingerprint.Change c =
        change(memoryNow(new FileFingerprint("memory", 99, "ino:7", 1, T0, T0)));
    assertThat(c.file()).isEqualTo("memory");
    assertThat(c.how()).contains("resized to 99 bytes (was 100)");
  }

  @Test
  void aNewModificationTimeIsAChange() {
    assertThat(change(memoryNow(new FileFingerprint("memory", 100, "ino:7", 1, T1, T1))).how())
        .startsWith("modified at");
  }

  @Test
  void aNewCtimeUnderTheOldModificationTimeIsAChange() {
    assertThat(change(memoryNow(new FileFingerprint("memory", 100, "ino:7", 1, T0, T1))).how())
        .contains("ctime")
        .contains("modification time kept");
    assertThat(change(memoryNow(new FileFingerprint("memory", 100, "ino:7", 2, T0, T1))).how())
        .as("a name added as well")
        .contains("ctime");
  }

  @Test
  void aNewCtimeWithANameFewerIsNoChangeButTheNewBaseline() {
    FileFingerprint twoNames = new FileFingerprint("memory", 100, "ino:7", 2, T0, T0);
    FileFingerprint oneName = new FileFingerprint("memory", 100, "ino:7", 1, T0, T1);
    EntryFingerprint fetched = new EntryFingerprint(List.of(twoNames, STATE));
    EntryFingerprint.Check check =
        fetched.compareWith(List.of(Optional.of(oneName), Optional.of(STATE)));
    assertThat(check)
        .isEqualTo(new EntryFingerprint.Unlinked(new EntryFingerprint(List.of(oneName, STATE))));
    FileFingerprint writtenLater =
        new FileFingerprint("memory", 100, "ino:7", 1, T0, FileTime.fromMillis(1_700_000_000_002L));
    assertThat(
            change(
                    ((EntryFingerprint.Unlinked) check)
                        .now()
                        .compareWith(List.of(Optional.of(writtenLater), Optional.of(STATE))))
                .how())
        .contains("ctime");
  }

  @Test
  void anotherInodeIsAChangeEvenWithEverythingElseKept() {
    assertThat(change(memoryNow(new FileFingerprint("memory", 100, "ino:9", 1, T0, T0))).how())
        .startsWith("replaced by another file");
  }

  @Test
  void aMissingFileIsAChangeAndTheFirstChangedFileIsNamed() {
    assertThat(change(THEN.compareWith(List.of(Optional.of(MEMORY), Optional.empty()))).file())
        .isEqualTo("state");
    FileFingerprint resizedState = new FileFingerprint("state", 11, "ino:8", 1, T0, T0);
    FileFingerprint resizedMemory = new FileFingerprint("memory", 101, "ino:7", 1, T0, T0);
    assertThat(
            change(THEN.compareWith(List.of(Optional.of(resizedMemory), Optional.of(resizedState))))
                .file())
        .isEqualTo("memory");
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
    assertThat(then.check(dir)).isEqualTo(new EntryFingerprint.Same());
    Path memory = dir.resolve("memory");
    Tampering.rewriteInPlace(memory, "v1", "v2");

    assertThat(Files.size(memory)).isEqualTo(m.files().get(0).size());
    EntryFingerprint.Change c = change(then.check(dir));
    assertThat(c.file()).isEqualTo("memory");
    assertThat(c.how()).contains("ctime");
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

    assertThat(change(then.check(dir)).how()).startsWith("replaced by another file");
  }

  @Test
  void aDeletedFileIsAChange() throws Exception {
    SnapshotManifest m = written();
    EntryFingerprint then = EntryFingerprint.take(m, dir);
    Files.delete(dir.resolve("memory"));
    assertThat(change(then.check(dir)).how()).isEqualTo("is gone or unreadable");
  }

  @Test
  void aSecondNameRemovedAfterTheFingerprintIsNoChange() throws Exception {
    SnapshotManifest m = written();
    Path early = Files.createLink(dir.resolve("memory.early"), dir.resolve("memory"));
    EntryFingerprint then = EntryFingerprint.take(m, dir);
    Files.delete(early);
    assertThat(then.check(dir)).isInstanceOf(EntryFingerprint.Unlinked.class);
    EntryFingerprint now = ((EntryFingerprint.Unlinked) then.check(dir)).now();
    assertThat(now.check(dir)).isEqualTo(new EntryFingerprint.Same());

    Tampering.rewriteInPlace(dir.resolve("memory"), "v1", "v2");
    assertThat(change(now.check(dir)).how()).contains("ctime");
  }
}
