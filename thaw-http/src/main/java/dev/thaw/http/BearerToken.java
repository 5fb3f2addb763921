package dev.thaw.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The management credential of Thaw's HTTP APIs: a shared secret a client sends as {@code
 * Authorization: Bearer <token>} (RFC 6750) and a server compares in constant time. A generated
 * token is 32 random bytes as 64 lower-case hex digits; a token given by an operator may be any
 * 32..512 characters of the base64url alphabet ({@code A-Z a-z 0-9 - _}), so that {@code openssl
 * rand -hex 32} and {@code openssl rand -base64 32 | tr +/ -_ | tr -d =} both fit.
 *
 * <p>The token never appears in {@link #toString()}, so it stays out of logs.
 */
public final class BearerToken {
  private static final Pattern FORM = Pattern.compile("[A-Za-z0-9_-]{32,512}");
  private static final String SCHEME = "bearer";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String value;
  private final byte[] bytes;

  private BearerToken(String value) {
    this.value = value;
    this.bytes = value.getBytes(StandardCharsets.UTF_8);
  }

  /** How a request's {@code Authorization} header stands against the token. */
  public enum Verdict {
    /** It carries this token. */
    ACCEPTED,
    /** It carries no bearer token at all. */
    MISSING,
    /** It carries a bearer token, not this one. */
    WRONG
  }

  /** A fresh token: 32 bytes from a {@link SecureRandom}, in hex. */
  public static BearerToken generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new BearerToken(HexFormat.of().formatHex(bytes));
  }

  /**
   * The token {@code value}, surrounding white space (a file's final newline) ignored.
   *
   * @throws IllegalArgumentException when it is not 32..512 base64url characters
   */
  public static BearerToken of(String value) {
    String v = Objects.requireNonNull(value, "value").strip();
    if (!FORM.matcher(v).matches()) {
      // The value itself stays out of the message: it may be a real secret mistyped.
      throw new IllegalArgumentException(
          "a token is 32 to 512 characters of A-Z, a-z, 0-9, '-' and '_' (e.g. from openssl rand"
              + " -hex 32); this one has "
              + v.length()
              + " characters");
    }
    return new BearerToken(v);
  }

  /** The secret itself, to write to a file or send. */
  public String value() {
    return value;
  }

  /** The {@code Authorization} header's value that carries it. */
  public String authorization() {
    return "Bearer " + value;
  }

  /**
   * Judges a request's {@code Authorization} header; the comparison takes the same time whatever
   * the presented token is: {@link MessageDigest#isEqual}'s time depends on the length of the token
   * alone, never on the presented bytes or their length (so no hash of each request's token is
   * needed to hide them).
   */
  public Verdict judge(Optional<String> authorization) {
    if (authorization.isEmpty()) {
      return Verdict.MISSING;
    }
    String header = authorization.get().strip();
    int space = header.indexOf(' ');
    if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals(SCHEME)) {
      return Verdict.MISSING;
    }
    String presented = header.substring(space + 1).strip();
    return MessageDigest.isEqual(bytes, presented.getBytes(StandardCharsets.UTF_8))
        ? Verdict.ACCEPTED
        : Verdict.WRONG;
  }

  @Override
  public String toString() {
    return "BearerToken[redacted]";
  }
}
