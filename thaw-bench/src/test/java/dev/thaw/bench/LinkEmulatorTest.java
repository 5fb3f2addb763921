package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The emulated link against a real echo server: bytes arrive unchanged, no faster than the link's
 * rate allows and no sooner than its delay (lower bounds only: a busy machine only adds time).
 */
class LinkEmulatorTest {
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void carriesBytesUnchangedAtMostAtItsRateAndAfterItsDelay() throws Exception {
    try (ServerSocket echo = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread server =
          new Thread(
              () -> {
                try (Socket s = echo.accept();
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream()) {
                  in.transferTo(out);
                } catch (Exception e) {
                  // The test fails on what it reads.
                }
              });
      server.start();
      // 16 Mbit/s: 512 KiB take at least 262 ms each way; 20 ms each way on top.
      try (LinkEmulator link =
              LinkEmulator.start(
                  new InetSocketAddress(echo.getInetAddress(), echo.getLocalPort()),
                  16_000_000,
                  Duration.ofMillis(20));
          Socket client = new Socket()) {
        client.connect(link.address());
        byte[] sent = new byte[512 << 10];
        new Random(3).nextBytes(sent);
        long t0 = System.nanoTime();
        Thread writer =
            new Thread(
                () -> {
                  try {
                    client.getOutputStream().write(sent);
                    client.shutdownOutput();
                  } catch (Exception e) {
                    // The read below fails.
                  }
                });
        writer.start();
        byte[] got = new byte[sent.length];
        new DataInputStream(client.getInputStream()).readFully(got);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(got).isEqualTo(sent);
        assertThat(client.getInputStream().read()).isEqualTo(-1); // the echo's end came through
        // Both directions carry all the bytes, pipelined: at least one direction's time, plus
        // the delay of both.
        assertThat(ms).isGreaterThanOrEqualTo(262 + 40);
        writer.join();
      }
      server.join(5000);
    }
  }

  @Test
  void parsesALinkAndRefusesWhatIsNotOne() {
    LinkEmulator.Spec s = LinkEmulator.Spec.parse("1gbit,0.5ms");
    assertThat(s.bitsPerSecond()).isEqualTo(1_000_000_000L);
    assertThat(s.delay()).isEqualTo(Duration.ofNanos(500_000));
    assertThat(LinkEmulator.Spec.parse("100mbit").delay()).isZero();
    assertThat(s).hasToString("1.0 Gbit/s, 0.50 ms each way");
    assertThatThrownBy(() -> LinkEmulator.Spec.parse("fast"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1gbit,0.5ms");
    assertThatThrownBy(() -> LinkEmulator.Spec.parse("0mbit"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
