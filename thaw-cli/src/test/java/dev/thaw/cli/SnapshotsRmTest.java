package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotFixtures;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.VmmIdentity;
import dev.thaw.node.snapshot.cache.CacheDirectory;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code thaw snapshots rm} removes the one entry it names and touches nothing else. */
class SnapshotsRmTest {
  /** The identity of a node that runs its VMs with KVM: not what the command would probe. */
  private static final VmmIdentity KVM_NODE = new VmmIdentity("qemu", "7.2.22", "kvm", "microvm");

  @TempDir Path data;

  private void put(LocalSnapshotCache cache, String revision, VmmIdentity vmm) throws Exception {
    var w = cache.begin(revision, 100).orElseThrow();
    Path state = Files.write(w.dir().resolve("state"), new byte[100]);
    SnapshotManifest m =
        SnapshotFixtures.manifest(
            revision,
            BuiltinFunctions.HELLO,
            SnapshotManifest.WHOLE_FILE_FORMAT,
            List.of(
                SnapshotFile.whole("state", SnapshotFile.Role.STATE, 100, Digests.sha256(state))));
    w.commit(
            new SnapshotManifest(
                m.formatVersion(),
                m.revision(),
                m.function(),
                vmm,
                m.guest(),
                m.createdAt(),
                m.files()))
        .orElseThrow()
        .close();
  }

  /** The cache directory of a KVM node holding {@code revisions}, as that node left it. */
  private Path cacheOfAKvmNode(String... revisions) throws Exception {
    Path cacheDir = data.resolve("cache");
    try (LocalSnapshotCache cache =
        LocalSnapshotCache.open(
            cacheDir,
            CacheIndex.builder().capacityBytes(1000).build(),
            CacheAdvertiser.none(),
            KVM_NODE,
            new SimpleMeterRegistry())) {
      for (String revision : revisions) {
        put(cache, revision, KVM_NODE);
      }
    }
    return cacheDir;
  }

  @Test
  void removingOneSnapshotKeepsTheOthersOfANodeConfiguredUnlikeTheCommand() throws Exception {
    Path cacheDir = cacheOfAKvmNode("gone", "kept");

    int code =
        new CommandLine(new Thaw())
            .execute("snapshots", "rm", "gone", "--data-dir", data.toString());

    assertThat(code).isZero();
    assertThat(cacheDir.resolve("entries/gone")).doesNotExist();
    assertThat(cacheDir.resolve("entries/kept/manifest.json")).exists();
    assertThat(CacheDirectory.peek(cacheDir))
        .extracting(l -> l.manifest().revision())
        .containsExactly("kept");
  }

  @Test
  void anAbsentSnapshotIsReportedAndNothingChanges() throws Exception {
    Path cacheDir = cacheOfAKvmNode("kept");
    int code =
        new CommandLine(new Thaw())
            .execute("snapshots", "rm", "absent", "--data-dir", data.toString());
    assertThat(code).isEqualTo(1);
    assertThat(cacheDir.resolve("entries/kept/manifest.json")).exists();
  }
}
