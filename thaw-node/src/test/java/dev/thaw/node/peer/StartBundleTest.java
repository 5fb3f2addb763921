package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start answer's format: what is written reads back, and every malformed body is refused. */
class StartBundleTest {
  private static final String SHA = "ab".repeat(32);

  private static StartBundle sample() {
    return new StartBundle(
        "{\"manifest\":1}".getBytes(StandardCharsets.UTF_8),
        ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
        Map.of(SHA, new byte[] {9, 8, 7}));
  }

  private static StartBundle read(byte[] body, long maxPages) throws IOException {
    return StartBundle.read(new ByteArrayInputStream(body), maxPages);
  }

  @Test
  void whatIsWrittenReadsBack() throws IOException {
    StartBundle back = read(sample().encode(), 1 << 20);
    assertThat(new String(back.manifest(), StandardCharsets.UTF_8)).isEqualTo("{\"manifest\":1}");
    assertThat(back.pages().isDirect()).isTrue();
    byte[] pages = new byte[back.pages().remaining()];
    back.pages().duplicate().get(pages);
    assertThat(pages).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(back.chunks()).containsOnlyKeys(SHA);
    assertThat(back.chunks().get(SHA)).containsExactly(9, 8, 7);
  }

  @Test
  void noPagesAndNoChunksIsAnAnswerToo() throws IOException {
    StartBundle empty = new StartBundle(new byte[] {'{', '}'}, ByteBuffer.allocate(0), Map.of());
    StartBundle back = read(empty.encode(), 0);
    assertThat(back.pages().hasRemaining()).isFalse();
    assertThat(back.chunks()).isEmpty();
  }

  @Test
  void aBodyOfAnotherKindIsRefused() throws IOException {
    byte[] body = sample().encode();
    body[0] = 'X';
    assertThatThrownBy(() -> read(body, 1 << 20)).hasMessageContaining("not a start answer");
  }

  @Test
  void anotherVersionIsRefused() throws IOException {
    byte[] body = sample().encode();
    body[11] = 2;
    assertThatThrownBy(() -> read(body, 1 << 20)).hasMessageContaining("version 2");
  }

  @Test
  void pagesBeyondTheMemorySizeAreRefusedBeforeTheyAreRead() throws IOException {
    assertThatThrownBy(() -> read(sample().encode(), 4)).hasMessageContaining("pages of 8 bytes");
  }

  @Test
  void aNegativeOrHugeLengthIsRefused() throws IOException {
    byte[] body = sample().encode();
    body[12] = (byte) 0xff; // the manifest's length: negative
    assertThatThrownBy(() -> read(body, 1 << 20)).hasMessageContaining("manifest");
    byte[] huge = sample().encode();
    huge[12] = 0x7f;
    assertThatThrownBy(() -> read(huge, 1 << 20)).hasMessageContaining("beyond");
  }

  @Test
  void aTruncatedBodyIsRefused() throws IOException {
    byte[] body = sample().encode();
    for (int cut : new int[] {4, 14, 30, body.length - 1}) {
      assertThatThrownBy(() -> read(Arrays.copyOf(body, cut), 1 << 20))
          .as("cut at %d", cut)
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void bytesAfterTheLastChunkAreRefused() throws IOException {
    byte[] body = sample().encode();
    byte[] longer = Arrays.copyOf(body, body.length + 1);
    assertThatThrownBy(() -> read(longer, 1 << 20)).hasMessageContaining("after its last chunk");
  }
}
