package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RevisionTest {
  @Test
  void namesThatFitFileNamesAndKeysAreAccepted() {
    assertThat(Revision.of("hello").value()).isEqualTo("hello");
    assertThat(Revision.of("fn-00042.v2").toString()).isEqualTo("fn-00042.v2");
    assertThat(Revision.of("a".repeat(Revision.MAX_LENGTH)).value()).hasSize(128);
  }

  @Test
  void tooLongOrOddNamesAreRefusedWithTheRule() {
    assertThatThrownBy(() -> Revision.of("a".repeat(300)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a revision has 1 to 128 characters, not 300");
    for (String bad : new String[] {"", "Hello", "-x", ".x", "a/b", "a b", "a..b", "x%2F"}) {
      assertThat(Revision.isValid(bad)).as(bad).isFalse();
    }
    assertThatThrownBy(() -> Revision.of("a/b"))
        .hasMessageContaining("lower-case letters, digits, dots and dashes");
  }
}
