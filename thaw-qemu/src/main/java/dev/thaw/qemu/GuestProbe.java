package dev.thaw.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a guest's HTTP endpoint to answer: {@code GET /health} after a boot, {@code GET
 * /_thaw/resume?...} after a restore (see {@link CloneResume}).
 *
 * <p>Each attempt is one plain blocking exchange on a socket of the calling thread: the guest's
 * server answers with {@code Connection: close}, so the answer ends where the connection does. (The
 * JDK's {@code HttpClient} hands each request between its own threads, which cost about 1 ms a
 * request more at the median and several under load, and every restore waits for this one.) An
 * answer is read up to {@value #MAX_ANSWER} bytes, within the attempt's time: the guest is the
 * function's, and may send anything.
 */
final class GuestProbe {
  /** The most of an answer read; the control server's answers are a few hundred bytes. */
  static final int MAX_ANSWER = 64 * 1024;

  /** The longest one attempt may take. */
  private static final long ATTEMPT_MILLIS = 2000;

  /** Why a probe stopped. */
  enum Outcome {
    /** The guest answered 200. */
    READY,
    /** The guest answered with another status: it listens, and said no. */
    REFUSED,
    TIMED_OUT,
    VMM_EXITED
  }

  /**
   * How a probe ended.
   *
   * @param status the guest's HTTP status, or 0 when it never answered
   * @param body the guest's answer, or "" when it never answered
   */
  record Result(Outcome outcome, int status, String body) {
    static Result of(Outcome outcome) {
      return new Result(outcome, 0, "");
    }
  }

  /** The header of a guest's control key. */
  static final String KEY_HEADER = "X-Thaw-Key";

  private GuestProbe() {}

  /**
   * Polls until the guest answers, the VMM dies, or {@code timeout} passes. Until the guest
   * listens, QEMU's user-mode network accepts the connection and then drops it, so each failed
   * attempt returns quickly. Every attempt asks {@code target} for its path and query, so a query
   * may carry values of the moment it is sent.
   */
  static Result await(
      URI endpoint, Supplier<String> target, Duration timeout, BooleanSupplier vmmAlive) {
    return await(endpoint, target, "", timeout, vmmAlive);
  }

  /** {@link #await}, each request carrying the guest's control key ({@code X-Thaw-Key}). */
  static Result await(
      URI endpoint,
      Supplier<String> target,
      String key,
      Duration timeout,
      BooleanSupplier vmmAlive) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseMillis = 2;
    while (System.nanoTime() < deadline) {
      if (!vmmAlive.getAsBoolean()) {
        return Result.of(Outcome.VMM_EXITED);
      }
      // No attempt outlives the deadline: a guest that accepts nothing must cost the timeout only.
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      try {
        Result answer =
            exchange(endpoint, target.get(), key, Math.min(ATTEMPT_MILLIS, left), vmmAlive);
        if (answer.status() > 0) {
          return answer;
        }
      } catch (IOException e) {
        // Not listening yet; try again shortly.
      }
      if (Thread.currentThread().isInterrupted()) {
        return Result.of(Outcome.TIMED_OUT);
      }
      sleep(pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, 50);
    }
    return Result.of(Outcome.TIMED_OUT);
  }

  /**
   * One {@code GET target} to {@code endpoint} within {@code millis}: the guest's answer, or a
   * result with status 0 when what came back was no HTTP answer.
   */
  private static Result exchange(
      URI endpoint, String target, String key, long millis, BooleanSupplier vmmAlive)
      throws IOException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), (int) millis);
      StringBuilder request =
          new StringBuilder("GET ")
              .append(target)
              .append(" HTTP/1.1\r\nHost: ")
              .append(endpoint.getHost())
              .append(':')
              .append(endpoint.getPort())
              .append("\r\n");
      if (!key.isEmpty()) {
        request.append(KEY_HEADER).append(": ").append(key).append("\r\n");
      }
      request.append("Connection: close\r\n\r\n");
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream answer = new ByteArrayOutputStream(512);
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[4096];
      while (answer.size() < MAX_ANSWER) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0 || !vmmAlive.getAsBoolean()) {
          throw new SocketTimeoutException("no whole answer within " + millis + " ms");
        }
        socket.setSoTimeout((int) left);
        int n = in.read(buf, 0, Math.min(buf.length, MAX_ANSWER - answer.size()));
        if (n < 0) {
          break;
        }
        answer.write(buf, 0, n);
        if (complete(answer.toString(StandardCharsets.ISO_8859_1))) {
          break;
        }
      }
      return parse(answer.toString(StandardCharsets.ISO_8859_1));
    }
  }

  /** Whether {@code text} holds a whole answer: its head, and as much body as it announced. */
  static boolean complete(String text) {
    int headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) {
      return false;
    }
    for (String line : text.substring(0, headEnd).split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("Content-Length")) {
        try {
          return text.length() - headEnd - 4 >= Long.parseLong(line.substring(colon + 1).strip());
        } catch (NumberFormatException e) {
          return false;
        }
      }
    }
    return false; // no length: the answer ends with the connection
  }

  /** An HTTP answer's status and body; status 0 when {@code text} is none. */
  static Result parse(String text) {
    int lineEnd = text.indexOf("\r\n");
    int headEnd = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/1.") || lineEnd < 0 || headEnd < 0) {
      return Result.of(Outcome.TIMED_OUT);
    }
    String[] statusLine = text.substring(0, lineEnd).split(" ", 3);
    int status;
    try {
      status = statusLine.length < 2 ? 0 : Integer.parseInt(statusLine[1]);
    } catch (NumberFormatException e) {
      status = 0;
    }
    if (status < 100 || status > 599) {
      return Result.of(Outcome.TIMED_OUT);
    }
    String body =
        new String(
            text.substring(headEnd + 4).getBytes(StandardCharsets.ISO_8859_1),
            StandardCharsets.UTF_8);
    return new Result(status == 200 ? Outcome.READY : Outcome.REFUSED, status, body);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
