package dev.thaw.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Sessions of the console: what admits, what expires, what a function may see of a cookie. */
class SessionCookiesTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final SessionCookies sessions =
      SessionCookies.builder()
          .lifetime(Duration.ofMinutes(10))
          .maxSessions(2)
          .clock(now::get)
          .build();

  private static Optional<String> cookie(String setCookie) {
    return Optional.of("other=x; " + setCookie.split(";")[0] + "; more=y");
  }

  @Test
  void aSessionAdmitsUntilItExpiresOrEnds() {
    String set = sessions.open();
    assertThat(set)
        .matches("thaw_console=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/; Max-Age=600");
    assertThat(sessions.admits(cookie(set))).isTrue();
    now.addAndGet(Duration.ofMinutes(10).toMillis());
    assertThat(sessions.admits(cookie(set))).isFalse();

    String again = sessions.open();
    sessions.end(cookie(again));
    assertThat(sessions.admits(cookie(again))).isFalse();
  }

  @Test
  void noCookieAnEmptyOneOrAnotherValueIsNoSession() {
    sessions.open();
    assertThat(sessions.admits(Optional.empty())).isFalse();
    assertThat(sessions.admits(Optional.of("thaw_console="))).isFalse();
    assertThat(sessions.admits(Optional.of("thaw_console=" + "0".repeat(64)))).isFalse();
    assertThat(sessions.admits(Optional.of("xthaw_console=abc"))).isFalse();
  }

  @Test
  void aLoginBeyondTheMostSessionsEndsTheOldest() {
    String first = sessions.open();
    String second = sessions.open();
    String third = sessions.open();
    assertThat(sessions.admits(cookie(first))).isFalse();
    assertThat(sessions.admits(cookie(second))).isTrue();
    assertThat(sessions.admits(cookie(third))).isTrue();
  }

  @Test
  void onlySafeMethodsGoWithoutTheConsolesHeader() {
    assertThat(SessionCookies.intended("GET", Optional.empty())).isTrue();
    assertThat(SessionCookies.intended("HEAD", Optional.empty())).isTrue();
    assertThat(SessionCookies.intended("POST", Optional.empty())).isFalse();
    assertThat(SessionCookies.intended("PUT", Optional.of("0"))).isFalse();
    assertThat(SessionCookies.intended("DELETE", Optional.of("1"))).isTrue();
  }

  @Test
  void aFunctionSeesTheOtherCookiesOnly() {
    assertThat(SessionCookies.without("a=1; thaw_console=abc; b=2")).contains("a=1; b=2");
    assertThat(SessionCookies.without("thaw_console=abc")).isEmpty();
    assertThat(SessionCookies.without("a=1")).contains("a=1");
  }
}
