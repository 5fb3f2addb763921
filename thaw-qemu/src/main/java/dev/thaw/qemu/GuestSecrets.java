package dev.thaw.qemu;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What this host gives each guest fresh from its {@link SecureRandom}, since clones of one snapshot
 * share everything in its memory: a control key per VM (a booted one, and each clone at resume),
 * and a restore's first request, which carries a seed for the guest's RNG and the host's wall clock
 * ({@link CloneResume}).
 */
final class GuestSecrets {
  private final SecureRandom random;
  private final Supplier<Instant> clock;

  GuestSecrets(SecureRandom random, Supplier<Instant> clock) {
    this.random = Objects.requireNonNull(random, "random");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  GuestSecrets() {
    this(new SecureRandom(), Instant::now);
  }

  /** A fresh control key: 32 hex digits. */
  String controlKey() {
    byte[] key = new byte[16];
    random.nextBytes(key);
    return HexFormat.of().formatHex(key);
  }

  /**
   * A restore's first request, {@code /_thaw/resume?seed=<32 bytes in hex>&t=<epoch ns>}: a fresh
   * seed for the guest's RNG and this host's wall clock of the moment it is asked for.
   */
  String resumeTarget() {
    byte[] seed = new byte[32];
    random.nextBytes(seed);
    Instant now = clock.get();
    long epochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    return "/_thaw/resume?seed=" + HexFormat.of().formatHex(seed) + "&t=" + epochNanos;
  }
}
