package dev.thaw.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void parsesBinaryUnits() {
    assertThat(ByteSize.parse("10GiB")).isEqualTo(10L << 30);
    assertThat(ByteSize.parse("512 MiB")).isEqualTo(512L << 20);
    assertThat(ByteSize.parse("1.5g")).isEqualTo(3L << 29);
    assertThat(ByteSize.parse("4096")).isEqualTo(4096);
  }

  @Test
  void refusesNonsenseWithTheReason() {
    assertThatThrownBy(() -> ByteSize.parse("ten gigs"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a size: 'ten gigs'");
  }

  @Test
  void formats() {
    assertThat(ByteSize.format(512)).isEqualTo("512 B");
    assertThat(ByteSize.format(256L << 20)).isEqualTo("256.0 MiB");
  }
}
