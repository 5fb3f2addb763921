package dev.thaw.node.snapshot.make;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.WorkingPages;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RecordedWorkingPages#chosen}: short gaps filled, long ones kept, zero chunks' pages and
 * pages past the end left out.
 */
class RecordedWorkingPagesTest {
  private static final int CHUNK = 16 * WorkingPages.PAGE;

  /** Four chunks of 16 pages; chunk 2 is zero. */
  private static final ChunkList CHUNKS =
      new ChunkList(CHUNK, Arrays.asList("a".repeat(64), "b".repeat(64), null, "c".repeat(64)));

  private static BitSet pages(int... runs) {
    BitSet b = new BitSet();
    for (int i = 0; i < runs.length; i += 2) {
      b.set(runs[i], runs[i] + runs[i + 1]);
    }
    return b;
  }

  @Test
  void gapsOfAtMostPageGapAreFilledLongerOnesKept() {
    int gap = RecordedWorkingPages.PAGE_GAP;
    BitSet read = pages(0, 2, 2 + gap, 1, 3 + 2 * gap + 1, 1);
    BitSet chosen = RecordedWorkingPages.chosen(read, CHUNKS, 4L * CHUNK);
    assertThat(WorkingPages.runsOf(chosen))
        .containsExactly(0L, (long) 3 + gap, (long) 3 + 2 * gap + 1, 1L);
    assertThat(read).isEqualTo(pages(0, 2, 2 + gap, 1, 3 + 2 * gap + 1, 1)); // not changed
  }

  @Test
  void pagesOfZeroChunksAndPastTheEndAreLeftOut() {
    BitSet read = pages(30, 4, 40, 2, 60, 10);
    // The file ends inside chunk 3, at page 62.
    BitSet chosen = RecordedWorkingPages.chosen(read, CHUNKS, 62L * WorkingPages.PAGE);
    assertThat(WorkingPages.runsOf(chosen)).isEqualTo(List.of(30L, 2L, 60L, 2L));
  }
}
