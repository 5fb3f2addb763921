package dev.thaw.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BearerTokenTest {
  private static final String HEX = "0123456789abcdef".repeat(4);

  @Test
  void aGeneratedTokenIs32RandomBytesInHexAndNeverTheSameTwice() {
    BearerToken a = BearerToken.generate();
    assertThat(a.value()).matches("[0-9a-f]{64}");
    assertThat(BearerToken.generate().value()).isNotEqualTo(a.value());
    assertThat(BearerToken.of(a.value() + "\n").value()).isEqualTo(a.value());
  }

  @Test
  void onlyTheTokenItselfIsAccepted() {
    BearerToken t = BearerToken.of(HEX);
    assertThat(t.judge(Optional.of("Bearer " + HEX))).isEqualTo(BearerToken.Verdict.ACCEPTED);
    assertThat(t.judge(Optional.of("bearer  " + HEX))).isEqualTo(BearerToken.Verdict.ACCEPTED);
    assertThat(t.judge(Optional.of(t.authorization()))).isEqualTo(BearerToken.Verdict.ACCEPTED);
    assertThat(t.judge(Optional.of("Bearer " + HEX.replace('f', 'e'))))
        .isEqualTo(BearerToken.Verdict.WRONG);
    assertThat(t.judge(Optional.of("Bearer " + HEX + "0"))).isEqualTo(BearerToken.Verdict.WRONG);
    assertThat(t.judge(Optional.of("Bearer " + HEX.substring(1))))
        .isEqualTo(BearerToken.Verdict.WRONG);
    assertThat(t.judge(Optional.of("Bearer " + HEX.substring(0, 63) + "é")))
        .isEqualTo(BearerToken.Verdict.WRONG);
    assertThat(t.judge(Optional.of("Bearer "))).isEqualTo(BearerToken.Verdict.MISSING);
    assertThat(t.judge(Optional.empty())).isEqualTo(BearerToken.Verdict.MISSING);
    assertThat(t.judge(Optional.of("Basic " + HEX))).isEqualTo(BearerToken.Verdict.MISSING);
    assertThat(t.judge(Optional.of(HEX))).isEqualTo(BearerToken.Verdict.MISSING);
  }

  @Test
  void aTokenTooShortOrWithOtherCharactersIsRefusedWithoutBeingEchoed() {
    assertThatThrownBy(() -> BearerToken.of("short"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5 characters")
        .hasMessageNotContaining("short");
    assertThatThrownBy(() -> BearerToken.of(HEX + " x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BearerToken.of(HEX + "+/="))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(BearerToken.of("A-_z".repeat(8)).value()).hasSize(32);
  }

  @Test
  void itsTextNeverShowsTheSecret() {
    BearerToken t = BearerToken.of(HEX);
    assertThat(t.toString()).doesNotContain(HEX);
  }
}
