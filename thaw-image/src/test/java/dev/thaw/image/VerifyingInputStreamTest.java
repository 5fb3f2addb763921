package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VerifyingInputStreamTest {
  private static final byte[] DATA = "layer bytes".getBytes(StandardCharsets.UTF_8);
  private static final Descriptor RIGHT = new Descriptor("", Layouts.digest(DATA), DATA.length);

  private static VerifyingInputStream over(byte[] data, Descriptor d) {
    return new VerifyingInputStream(new ByteArrayInputStream(data), d, "blob x");
  }

  @Test
  void matchingBytesPass() throws Exception {
    VerifyingInputStream in = over(DATA, RIGHT);
    assertThat(in.readNBytes(5)).hasSize(5);
    in.verifyToEnd();
    assertThat(in.count()).isEqualTo(DATA.length);
  }

  @Test
  void otherBytesOfTheSameSizeFailAtTheEndWithBothDigests() {
    byte[] other = "LAYER BYTES".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> over(other, RIGHT).verifyToEnd())
        .isInstanceOfSatisfying(
            DigestMismatchException.class,
            e -> {
              assertThat(e.expected()).isEqualTo(RIGHT.digest());
              assertThat(e.actual()).isEqualTo(Layouts.digest(other));
            })
        .hasMessageStartingWith("blob x");
  }

  @Test
  void moreBytesThanPromisedFailAsSoonAsTheyArrive() {
    Descriptor small = new Descriptor("", RIGHT.digest(), 4);
    VerifyingInputStream in = over(DATA, small);
    assertThatThrownBy(() -> in.readNBytes(8))
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("more than 4 bytes");
  }

  @Test
  void fewerBytesThanPromisedFail() {
    Descriptor big = new Descriptor("", RIGHT.digest(), 100);
    assertThatThrownBy(() -> over(DATA, big).verifyToEnd())
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("only " + DATA.length);
  }

  @Test
  void anUnknownSizeIsCheckedByDigestAlone() throws Exception {
    over(DATA, new Descriptor("", RIGHT.digest(), Descriptor.UNKNOWN_SIZE)).verifyToEnd();
    assertThatThrownBy(
            () ->
                over(new byte[3], new Descriptor("", RIGHT.digest(), Descriptor.UNKNOWN_SIZE))
                    .verifyToEnd())
        .isInstanceOf(DigestMismatchException.class);
  }
}
