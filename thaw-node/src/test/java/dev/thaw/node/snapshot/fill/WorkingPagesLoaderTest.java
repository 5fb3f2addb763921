package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.SnapshotStore;
import dev.thaw.core.snapshot.WorkingPages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WorkingPagesLoader}: pages that match the manifest are written and cover their reads; any
 * others are refused, and cover nothing.
 */
class WorkingPagesLoaderTest {
  private static final int PAGE = WorkingPages.PAGE;

  @TempDir Path tmp;
  private WorkingPagesFixture fixture;
  private final TransferTally tally = new TransferTally();

  @BeforeEach
  void snapshot() throws IOException {
    fixture = new WorkingPagesFixture(tmp.resolve("made"));
  }

  private boolean load(
      Path file, Optional<SnapshotStore.FetchedPages> got, WorkingPagesLoader[] out)
      throws IOException {
    return load(file, CompletableFuture.completedFuture(got), out);
  }

  private boolean load(
      Path file,
      CompletableFuture<Optional<SnapshotStore.FetchedPages>> asked,
      WorkingPagesLoader[] out)
      throws IOException {
    ChunkAssembler.createSparse(file, fixture.memoryFile().size());
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      out[0] =
          new WorkingPagesLoader(
              "fn", fixture.workingPages(), channel, fixture.memoryFile().size(), tally);
      return out[0].load(asked);
    }
  }

  @Test
  void matchingPagesAreWrittenAndCoverTheirReadsOnly() throws IOException {
    Path file = tmp.resolve("memory");
    WorkingPagesLoader[] loader = new WorkingPagesLoader[1];
    assertThat(load(file, Optional.of(fixture.fetched()), loader)).isTrue();

    byte[] written = Files.readAllBytes(file);
    assertThat(java.util.Arrays.copyOfRange(written, 640 * PAGE, 643 * PAGE))
        .isEqualTo(fixture.bytes(640L * PAGE, 643L * PAGE));
    assertThat(loader[0].written()).isTrue();
    assertThat(loader[0].covers(83L * PAGE + 100, 85L * PAGE)).isTrue();
    assertThat(loader[0].covers(84L * PAGE, 86L * PAGE)).isFalse();
    assertThat(loader[0].covers(641L * PAGE, 641L * PAGE + 1)).isTrue();
    assertThat(loader[0].fetchedBytes()).isEqualTo(1234);
    assertThat(tally.transfer(0).fetchedBytes()).isEqualTo(1234);
    ByteBuffer taken = loader[0].take();
    assertThat(taken.remaining()).isEqualTo(5 * PAGE);
    assertThat(loader[0].take()).isNull();
  }

  @Test
  void pagesThatDoNotMatchTheManifestAreRefused() throws IOException {
    ByteBuffer damaged = fixture.pages.duplicate();
    byte[] bytes = new byte[damaged.remaining()];
    damaged.get(bytes);
    bytes[7] ^= 1;
    var cases =
        java.util.Map.of(
            "none stored",
            CompletableFuture.completedFuture(Optional.<SnapshotStore.FetchedPages>empty()),
            "shorter",
            CompletableFuture.completedFuture(
                Optional.of(new SnapshotStore.FetchedPages(ByteBuffer.allocate(PAGE), 10))),
            "damaged",
            CompletableFuture.completedFuture(
                Optional.of(new SnapshotStore.FetchedPages(ByteBuffer.wrap(bytes), 10))),
            "not fetched",
            CompletableFuture.<Optional<SnapshotStore.FetchedPages>>failedFuture(
                new UncheckedIOException(new IOException("storage unreachable"))));
    for (var c : cases.entrySet()) {
      WorkingPagesLoader[] loader = new WorkingPagesLoader[1];
      assertThat(load(tmp.resolve(c.getKey()), c.getValue(), loader)).as(c.getKey()).isFalse();
      assertThat(loader[0].written()).as(c.getKey()).isFalse();
      assertThat(loader[0].covers(83L * PAGE, 84L * PAGE)).as(c.getKey()).isFalse();
      assertThat(loader[0].take()).as(c.getKey()).isNull();
    }
  }
}
