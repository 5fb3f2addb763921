package dev.thaw.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A browser's stand-in for the management token: a browser cannot add {@code Authorization: Bearer}
 * to a page it navigates to, so whoever proves the token once ({@code POST /ui/login}) gets a
 * session cookie instead. The cookie holds a random session id (32 bytes from a {@link
 * SecureRandom}), never the token: a leaked cookie ends with its session (at {@link #end logout},
 * after {@link Builder#lifetime}, or when the process stops) and tells nothing of the token.
 *
 * <p>The server keeps only each id's SHA-256 and checks a presented id against every kept one with
 * {@link MessageDigest#isEqual}, without stopping at a match, so the time taken says nothing of
 * which bytes matched. At most {@link Builder#maxSessions} live at once; a new one beyond that ends
 * the oldest.
 *
 * <p>The cookie is {@code HttpOnly} (no script reads it) and {@code SameSite=Strict} (another
 * site's page never sends it). A request it authenticates that changes something (any method but
 * GET and HEAD) must also carry {@value #HEADER}{@code : 1}: a cross-site form cannot set a header,
 * and a cross-site script that tries needs a CORS preflight, which nothing here answers.
 */
public final class SessionCookies {
  /** The cookie's name. */
  public static final String NAME = "thaw_console";

  /** The header a cookie-authenticated request that changes something must carry. */
  public static final String HEADER = "X-Thaw-Console";

  private static final SecureRandom RANDOM = new SecureRandom();

  private record Session(byte[] digest, long expiresMillis) {}

  private final Duration lifetime;
  private final int maxSessions;
  private final LongSupplier clock;
  private final Deque<Session> sessions = new ArrayDeque<>();

  private SessionCookies(Builder b) {
    this.lifetime = b.lifetime;
    this.maxSessions = b.maxSessions;
    this.clock = b.clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Opens a session; returns the {@code Set-Cookie} value that hands it to the browser. */
  public synchronized String open() {
    byte[] id = new byte[32];
    RANDOM.nextBytes(id);
    String value = HexFormat.of().formatHex(id);
    long now = clock.getAsLong();
    sessions.removeIf(s -> s.expiresMillis() <= now);
    while (sessions.size() >= maxSessions) {
      sessions.removeFirst();
    }
    sessions.addLast(new Session(sha256(value), now + lifetime.toMillis()));
    return NAME
        + "="
        + value
        + "; HttpOnly; SameSite=Strict; Path=/; Max-Age="
        + lifetime.toSeconds();
  }

  /** Whether the {@code Cookie} header carries a live session. */
  public synchronized boolean admits(Optional<String> cookieHeader) {
    Optional<String> presented = value(cookieHeader);
    if (presented.isEmpty()) {
      return false;
    }
    byte[] digest = sha256(presented.get());
    long now = clock.getAsLong();
    boolean found = false;
    for (Session s : sessions) {
      // No early exit: every kept session is compared whatever matched.
      found |= MessageDigest.isEqual(s.digest(), digest) & s.expiresMillis() > now;
    }
    return found;
  }

  /**
   * Whether a request so authenticated may run: a safe method, or the {@link #HEADER} set to 1.
   *
   * @param method the request's method
   * @param header the request's {@link #HEADER}, if any
   */
  public static boolean intended(String method, Optional<String> header) {
    return method.equals("GET") || method.equals("HEAD") || header.filter("1"::equals).isPresent();
  }

  /** Ends the session the {@code Cookie} header carries, if any. */
  public synchronized void end(Optional<String> cookieHeader) {
    value(cookieHeader)
        .map(SessionCookies::sha256)
        .ifPresent(d -> sessions.removeIf(s -> MessageDigest.isEqual(s.digest(), d)));
  }

  /** The {@code Set-Cookie} value that makes a browser forget its session. */
  public static String cleared() {
    return NAME + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
  }

  /**
   * {@code cookieHeader} without this cookie: what a function may see of a browser's cookies (its
   * own ones), never the session. Empty when nothing else is left.
   */
  public static Optional<String> without(String cookieHeader) {
    String rest =
        Stream.of(cookieHeader.split(";"))
            .map(String::strip)
            .filter(c -> !c.isEmpty() && !c.startsWith(NAME + "="))
            .collect(Collectors.joining("; "));
    return rest.isEmpty() ? Optional.empty() : Optional.of(rest);
  }

  private static Optional<String> value(Optional<String> cookieHeader) {
    return cookieHeader.flatMap(
        h ->
            Stream.of(h.split(";"))
                .map(String::strip)
                .filter(c -> c.startsWith(NAME + "="))
                .map(c -> c.substring(NAME.length() + 1))
                .filter(v -> !v.isEmpty())
                .findFirst());
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Builder; defaults: sessions live 12 hours, at most 64 at once, wall-clock millis. */
  public static final class Builder {
    private Duration lifetime = Duration.ofHours(12);
    private int maxSessions = 64;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder() {}

    /** How long a session lasts after its login. */
    public Builder lifetime(Duration lifetime) {
      if (lifetime.isNegative() || lifetime.isZero()) {
        throw new IllegalArgumentException("a session's lifetime must be positive");
      }
      this.lifetime = lifetime;
      return this;
    }

    /** How many sessions live at once; a login beyond ends the oldest. */
    public Builder maxSessions(int maxSessions) {
      if (maxSessions < 1) {
        throw new IllegalArgumentException("at least one session must fit");
      }
      this.maxSessions = maxSessions;
      return this;
    }

    /** Milliseconds, for expiry. */
    public Builder clock(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public SessionCookies build() {
      return new SessionCookies(this);
    }
  }
}
