package dev.thaw.node.snapshot.fill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.thaw.core.snapshot.WorkingPages;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WorkingSetPreload}: the working pages and the first clone's zero chunks go into the page
 * cache straight, or are read ahead when the server cannot take them; without working pages, the
 * first clone's chunks are the working set.
 */
class WorkingSetPreloadTest {
  private static final int PAGE = WorkingPages.PAGE;
  private static final int CHUNK = WorkingPagesFixture.CHUNK;

  @TempDir Path tmp;
  private WorkingPagesFixture fixture;

  @BeforeEach
  void snapshot() throws IOException {
    fixture = new WorkingPagesFixture(tmp.resolve("made"));
  }

  /** A preload whose working pages were loaded into a fresh memory file. */
  private WorkingSetPreload loaded() throws IOException {
    Path file = tmp.resolve("memory");
    ChunkAssembler.createSparse(file, fixture.memoryFile().size());
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      WorkingPagesLoader loader =
          new WorkingPagesLoader(
              "fn",
              fixture.workingPages(),
              channel,
              fixture.memoryFile().size(),
              new TransferTally());
      assertThat(loader.load(CompletableFuture.completedFuture(Optional.of(fixture.fetched()))))
          .isTrue();
      return new WorkingSetPreload(fixture.manifest, Optional.of(loader));
    }
  }

  @Test
  void theWorkingSetIsStoredIntoThePageCache() throws IOException {
    RecordingFileServer storing = new RecordingFileServer(true);
    loaded().preload(storing, "mem");
    assertThat(storing.readAhead).isEmpty();
    assertThat(storing.stored.keySet()).containsExactly(83L * PAGE, 6L * CHUNK, 640L * PAGE);
    storing.stored.forEach(
        (at, bytes) -> assertThat(bytes).isEqualTo(fixture.bytes(at, at + bytes.length)));
    assertThat(storing.stored.get(6L * CHUNK)).hasSize(CHUNK).containsOnly((byte) 0);
  }

  @Test
  void aServerThatCannotStoreReadsTheSameRangesAhead() throws IOException {
    RecordingFileServer reading = new RecordingFileServer(false);
    WorkingSetPreload preload = loaded();
    preload.preload(reading, "mem");
    assertThat(reading.stored).isEmpty();
    assertThat(reading.readAhead)
        .extracting(r -> r[0], r -> r[1])
        .containsExactly(
            tuple(83L * PAGE, 2L * PAGE),
            tuple(6L * CHUNK, (long) CHUNK),
            tuple(640L * PAGE, 3L * PAGE));
    assertThat(preload.ranges())
        .extracting(r -> r[0], r -> r[1])
        .containsExactly(
            tuple(83L * PAGE, 2L * PAGE),
            tuple(6L * CHUNK, (long) CHUNK),
            tuple(640L * PAGE, 3L * PAGE));
  }

  @Test
  void withoutWorkingPagesTheFirstClonesChunksAreReadAhead() throws IOException {
    RecordingFileServer reading = new RecordingFileServer(true);
    new WorkingSetPreload(fixture.manifest, Optional.empty()).preload(reading, "mem");
    assertThat(reading.stored).isEmpty();
    // Chunks 5 and 6 touch: one range.
    assertThat(reading.readAhead)
        .extracting(r -> r[0], r -> r[1])
        .containsExactly(tuple(5L * CHUNK, 2L * CHUNK), tuple(40L * CHUNK, (long) CHUNK));
  }

  @Test
  void rangesAreSortedAndMerged() {
    List<long[]> merged =
        WorkingSetPreload.merged(
            new ArrayList<>(
                List.of(
                    new long[] {100, 10},
                    new long[] {0, 10},
                    new long[] {10, 5},
                    new long[] {102, 3})));
    assertThat(merged)
        .extracting(r -> r[0], r -> r[1])
        .containsExactly(tuple(0L, 15L), tuple(100L, 10L));
  }
}
