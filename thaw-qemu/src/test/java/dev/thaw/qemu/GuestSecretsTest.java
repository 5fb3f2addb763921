package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class GuestSecretsTest {
  private static final Pattern RESUME =
      Pattern.compile("/_thaw/resume\\?seed=([0-9a-f]+)&t=(\\d+)");

  private final Instant now = Instant.parse("2026-12-07T00:15:30.123456789Z");
  private final GuestSecrets secrets = new GuestSecrets(new SecureRandom(), () -> now);

  @Test
  void everyControlKeyIs32FreshHexDigits() {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String key = secrets.controlKey();
      assertThat(key).matches("[0-9a-f]{32}");
      keys.add(key);
    }
    assertThat(keys).hasSize(100);
  }

  @Test
  void aResumeCarriesAFresh32ByteSeedAndTheClockInNanoseconds() {
    Matcher first = RESUME.matcher(secrets.resumeTarget());
    Matcher second = RESUME.matcher(secrets.resumeTarget());
    assertThat(first.matches()).isTrue();
    assertThat(second.matches()).isTrue();
    assertThat(first.group(1)).hasSize(64).isNotEqualTo(second.group(1));
    assertThat(Long.parseLong(first.group(2))).isEqualTo(1_796_602_530_123_456_789L);
  }
}
