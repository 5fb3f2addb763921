package dev.thaw.image;

import dev.thaw.core.io.Digests;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a blob's bytes through while hashing and counting them, and refuses them as soon as they
 * outgrow the descriptor's size and at their end if the digest differs. Readers that stop early (a
 * tar reader stops at its end marker) call {@link #verifyToEnd()} to read and check the rest:
 * nothing read from a blob counts until that returns.
 */
public final class VerifyingInputStream extends FilterInputStream {
  private final Descriptor expected;
  private final String what;
  private final MessageDigest sha = Digests.newSha256();
  private long count;
  private boolean verified;

  /**
   * @param what names the blob in errors, e.g. "layer 2 of registry/fn:v1"
   */
  public VerifyingInputStream(InputStream in, Descriptor expected, String what) {
    super(in);
    this.expected = expected;
    this.what = what;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n < 0) {
      check();
      return -1;
    }
    sha.update(b, off, n);
    count += n;
    if (expected.size() != Descriptor.UNKNOWN_SIZE && count > expected.size()) {
      throw new DigestMismatchException(what, expected.digest(), expected.size(), count);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must be hashed too.
    byte[] buffer = new byte[8192];
    long done = 0;
    while (done < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Reads what is left and checks size and digest. */
  public void verifyToEnd() throws IOException {
    byte[] buffer = new byte[1 << 16];
    while (read(buffer, 0, buffer.length) >= 0) {
      // drained for the digest
    }
    check();
  }

  /** How many bytes have passed. */
  public long count() {
    return count;
  }

  private void check() throws DigestMismatchException {
    if (verified) {
      return;
    }
    if (expected.size() != Descriptor.UNKNOWN_SIZE && count != expected.size()) {
      throw new DigestMismatchException(what, expected.digest(), expected.size(), count);
    }
    String actual = "sha256:" + Digests.hex(sha);
    if (!actual.equals(expected.digest())) {
      throw new DigestMismatchException(what, expected.digest(), actual);
    }
    verified = true;
  }
}
