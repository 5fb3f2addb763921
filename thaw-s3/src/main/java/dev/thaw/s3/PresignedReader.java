package dev.thaw.s3;

import dev.thaw.core.store.NoSuchObjectException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Reads of objects on the restore path (manifests, pack indexes, working pages, ranges of packs) as
 * plain HTTP GETs of presigned URLs. Measured on the embedded server with 256 KiB ranges, the SDK's
 * request pipeline (endpoint rules, signing, interceptors, response wrapping) cost about 2.5 ms of
 * CPU per request on top of the 1.4 ms that server and connection take, and about 1 ms more per
 * MiB; a URL is signed once per object and reused for many reads (the {@code Range} header is not
 * part of the signature). A whole object is read straight into one buffer of its announced length,
 * on the Java heap or, for a direct read, off it; only a response that announces no length is read
 * whole first, and copied when the read is direct.
 *
 * <p>URLs are bearer credentials: they stay in memory, expire after {@link #VALIDITY}, and never
 * appear in messages or logs.
 */
final class PresignedReader {
  static final Duration VALIDITY = Duration.ofMinutes(15);

  /** A URL is renewed when less than this much of its validity is left. */
  private static final Duration MARGIN = Duration.ofMinutes(5);

  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final int READ_TIMEOUT_MS = 60_000;

  private final S3Presigner presigner;
  private final String bucket;
  private final String description;
  private final Clock clock;
  private final Duration validity;
  private final ConcurrentHashMap<String, Signed> urls = new ConcurrentHashMap<>();

  private record Signed(URL url, Instant expires) {}

  PresignedReader(S3Presigner presigner, String bucket, String description) {
    this(presigner, bucket, description, Clock.systemUTC(), VALIDITY);
  }

  /** For tests: URLs valid for {@code validity}, renewed by {@code clock}'s time. */
  PresignedReader(
      S3Presigner presigner, String bucket, String description, Clock clock, Duration validity) {
    this.presigner = presigner;
    this.bucket = bucket;
    this.description = description;
    this.clock = clock;
    this.validity = validity;
  }

  /** Bytes {@code from} to {@code to} (inclusive) of {@code key}. */
  byte[] read(String key, long from, long to) throws IOException {
    try {
      return read(key, from, to, url(key, false));
    } catch (Forbidden e) {
      // A URL signed with credentials rotated since: sign again, once.
      return read(key, from, to, url(key, true));
    }
  }

  /** The whole of {@code key}; empty when there is no such object. */
  Optional<byte[]> readAll(String key) throws IOException {
    return readAll(key, false).map(ByteBuffer::array);
  }

  /** Like {@link #readAll(String)}, into a direct buffer (off the Java heap). */
  Optional<ByteBuffer> readAllDirect(String key) throws IOException {
    return readAll(key, true);
  }

  private Optional<ByteBuffer> readAll(String key, boolean direct) throws IOException {
    try {
      return readAll(key, url(key, false), direct);
    } catch (Forbidden e) {
      return readAll(key, url(key, true), direct);
    }
  }

  private byte[] read(String key, long from, long to, URL url) throws IOException {
    byte[] out = new byte[Math.toIntExact(to - from + 1)];
    String range = "bytes " + from + "-" + to + " of " + key;
    HttpURLConnection c = get(url, "bytes=" + from + "-" + to);
    int status = status(c, key);
    if (status != HttpURLConnection.HTTP_PARTIAL) {
      throw refused(c, status, key, range);
    }
    try (InputStream in = c.getInputStream()) {
      int n = in.readNBytes(out, 0, out.length);
      if (n != out.length || in.read() != -1) {
        throw new IOException(
            key + " is shorter than its manifest says (range " + from + "-" + to + ")");
      }
    }
    return out;
  }

  /** A buffer of exactly the object's bytes, position 0. */
  private Optional<ByteBuffer> readAll(String key, URL url, boolean direct) throws IOException {
    HttpURLConnection c = get(url, null);
    int status = status(c, key);
    if (status != HttpURLConnection.HTTP_OK) {
      IOException e = refused(c, status, key, key);
      if (e instanceof NoSuchObjectException) {
        return Optional.empty();
      }
      throw e;
    }
    long announced = c.getContentLengthLong();
    if (announced > Integer.MAX_VALUE - 8) {
      throw new IOException(key + " in " + description + " is too large to read: " + announced);
    }
    ByteBuffer out;
    try (InputStream in = c.getInputStream()) {
      if (announced < 0) {
        byte[] all = in.readAllBytes();
        return Optional.of(
            direct ? ByteBuffer.allocateDirect(all.length).put(all).flip() : ByteBuffer.wrap(all));
      }
      int length = (int) announced;
      out = direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length);
      ReadableByteChannel body = Channels.newChannel(in);
      while (out.hasRemaining() && body.read(out) >= 0) {}
      if (out.hasRemaining() || in.read() != -1) {
        out = null;
      }
    } catch (IOException e) {
      throw new IOException(
          "cannot read " + key + " from " + description + ": " + e.getMessage(), e);
    }
    if (out == null) {
      throw new IOException(
          key + " from " + description + " is not the " + announced + " bytes announced");
    }
    return Optional.of(out.flip());
  }

  /** A GET of {@code url}, of {@code range} when not null. */
  private static HttpURLConnection get(URL url, String range) throws IOException {
    HttpURLConnection c = (HttpURLConnection) url.openConnection();
    c.setConnectTimeout(CONNECT_TIMEOUT_MS);
    c.setReadTimeout(READ_TIMEOUT_MS);
    if (range != null) {
      c.setRequestProperty("Range", range);
    }
    return c;
  }

  private int status(HttpURLConnection c, String key) throws IOException {
    try {
      return c.getResponseCode();
    } catch (IOException e) {
      throw new IOException(
          "cannot read " + key + " from " + description + ": " + e.getMessage(), e);
    }
  }

  /** What a response other than the one wanted means, its body read; {@code what} for messages. */
  private IOException refused(HttpURLConnection c, int status, String key, String what) {
    String said = drain(c);
    if (status == HttpURLConnection.HTTP_FORBIDDEN) {
      return new Forbidden(key + " refused by " + description + " (HTTP 403)" + said);
    }
    if (status == HttpURLConnection.HTTP_NOT_FOUND
        && (said.isEmpty() || said.equals(" NoSuchKey"))) {
      return new NoSuchObjectException(key + " is missing from " + description);
    }
    return new IOException(
        "cannot read " + what + " from " + description + ": HTTP " + status + said);
  }

  /** Reads an error body (so the connection can be reused) and returns its start for messages. */
  private static String drain(HttpURLConnection c) {
    try (InputStream err = c.getErrorStream()) {
      if (err == null) {
        return "";
      }
      String body = new String(err.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      String code = body.replaceAll("(?s).*<Code>([^<]*)</Code>.*", "$1");
      return code.equals(body) || code.isBlank() ? "" : " " + code;
    } catch (IOException e) {
      return "";
    }
  }

  private URL url(String key, boolean renew) throws IOException {
    Instant now = clock.instant();
    Signed s = urls.get(key);
    if (renew || s == null || s.expires().minus(margin()).isBefore(now)) {
      try {
        URL url =
            presigner
                .presignGetObject(
                    r ->
                        r.signatureDuration(validity)
                            .getObjectRequest(g -> g.bucket(bucket).key(key)))
                .url();
        s = new Signed(url, now.plus(validity));
      } catch (SdkException e) {
        throw new IOException("cannot sign a read of " + key + ": " + e.getMessage(), e);
      }
      urls.put(key, s);
      if (urls.size() > 1024) {
        urls.entrySet().removeIf(e -> e.getValue().expires().minus(margin()).isBefore(now));
      }
    }
    return s.url();
  }

  private Duration margin() {
    return validity.compareTo(MARGIN.multipliedBy(2)) < 0 ? Duration.ZERO : MARGIN;
  }

  private static final class Forbidden extends IOException {
    private static final long serialVersionUID = 1L;

    Forbidden(String message) {
      super(message);
    }
  }
}
