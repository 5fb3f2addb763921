package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.io.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A start answer decoded as it arrives: however the network cuts it, the same bundle, and the
 * pages' digest computed on the way is theirs.
 */
class StartDecoderTest {
  private static StartBundle sample(Random random) {
    byte[] pages = new byte[3 * 4096 + 17];
    random.nextBytes(pages);
    Map<String, byte[]> chunks = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      byte[] c = new byte[1 + random.nextInt(5000)];
      random.nextBytes(c);
      chunks.put(Digests.sha256(c, 0, c.length), c);
    }
    return new StartBundle(
        "{\"manifest\":2}".getBytes(StandardCharsets.UTF_8), ByteBuffer.wrap(pages), chunks);
  }

  private static StartDecoder.Decoded fedInPieces(byte[] body, Random random) throws IOException {
    StartDecoder decoder = new StartDecoder(1 << 20);
    for (int at = 0; at < body.length; ) {
      int n = Math.min(body.length - at, random.nextInt(3) == 0 ? 1 : 1 + random.nextInt(9000));
      decoder.feed(ByteBuffer.wrap(body, at, n));
      at += n;
    }
    return decoder.finish();
  }

  @Test
  void anyCutOfTheBodyDecodesToTheSameStartAndItsPagesDigest() throws IOException {
    Random random = new Random(11);
    for (int round = 0; round < 50; round++) {
      StartBundle sent = sample(random);
      byte[] body = sent.encode();
      StartDecoder.Decoded got = fedInPieces(body, random);
      assertThat(got.bundle().manifest()).isEqualTo(sent.manifest());
      assertThat(got.bundle().pages()).isEqualTo(sent.pages());
      assertThat(got.bundle().pages().isDirect()).isTrue();
      assertThat(got.bundle().chunks().keySet()).isEqualTo(sent.chunks().keySet());
      sent.chunks().forEach((k, v) -> assertThat(got.bundle().chunks().get(k)).isEqualTo(v));
      byte[] pages = new byte[sent.pages().remaining()];
      sent.pages().duplicate().get(pages);
      assertThat(got.pagesSha256()).isEqualTo(Digests.sha256(pages, 0, pages.length));
    }
  }

  @Test
  void aBodyThatEndsWithinAPartOrGoesOnIsRefused() throws IOException {
    byte[] body = sample(new Random(3)).encode();
    for (int cut = 0; cut < body.length; cut += 997) {
      StartDecoder decoder = new StartDecoder(1 << 20);
      decoder.feed(ByteBuffer.wrap(Arrays.copyOf(body, cut)));
      assertThatThrownBy(decoder::finish).as("cut at %d", cut).isInstanceOf(IOException.class);
    }
    StartDecoder decoder = new StartDecoder(1 << 20);
    assertThatThrownBy(() -> decoder.feed(ByteBuffer.wrap(Arrays.copyOf(body, body.length + 1))))
        .hasMessageContaining("after its last chunk");
  }

  @Test
  void pagesBeyondTheBoundAreRefusedBeforeTheyArrive() throws IOException {
    byte[] body = sample(new Random(5)).encode();
    StartDecoder decoder = new StartDecoder(4096);
    assertThatThrownBy(() -> decoder.feed(ByteBuffer.wrap(body, 0, 40)))
        .hasMessageContaining("pages of " + (3 * 4096 + 17) + " bytes");
  }
}
