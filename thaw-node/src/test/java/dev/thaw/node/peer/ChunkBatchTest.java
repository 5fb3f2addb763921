package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A batch answer's framing, and what a reader refuses of it. */
class ChunkBatchTest {
  @Test
  void chunksPastTheAnswersBoundAreSentAsAbsent() {
    ChunkBatch.Encoder out = new ChunkBatch.Encoder();
    byte[] big = new byte[ChunkBatch.MAX_BYTES / 2 + 1];
    big[0] = 7;
    assertThat(out.add(big)).isTrue();
    assertThat(out.add(big)).as("past the bound").isFalse();
    out.absent();
    assertThat(out.hasRoomFor()).isTrue();
    byte[] small = {1, 2, 3};
    assertThat(out.add(small)).isTrue();

    List<Optional<byte[]>> got =
        ChunkBatch.decode(out.toBytes(), List.of(big.length, big.length, 3)).orElseThrow();
    assertThat(got.get(0)).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
    assertThat(got.get(1)).isEmpty();
    assertThat(got.get(2)).hasValueSatisfying(b -> assertThat(b).containsExactly(1, 2, 3));
  }

  @Test
  void aBodyCutShortOrWithBytesToSpareIsRefusedWhole() {
    ChunkBatch.Encoder out = new ChunkBatch.Encoder();
    out.add(new byte[] {1, 2, 3, 4});
    byte[] body = out.toBytes();
    assertThat(ChunkBatch.decode(body, List.of(4))).isPresent();
    assertThat(ChunkBatch.decode(java.util.Arrays.copyOf(body, body.length - 1), List.of(4)))
        .isEmpty();
    assertThat(ChunkBatch.decode(java.util.Arrays.copyOf(body, body.length + 1), List.of(4)))
        .isEmpty();
    assertThat(ChunkBatch.maxAnswerBytes(List.of(4, 10))).isEqualTo(22);
  }
}
