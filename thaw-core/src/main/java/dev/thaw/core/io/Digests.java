package dev.thaw.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as lower-case hex. */
public final class Digests {
  private Digests() {}

  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  public static String sha256(Path file) throws IOException {
    return sha256(file, ReadPacer.UNPACED);
  }

  /** SHA-256 of {@code file}, telling {@code pacer} of every block read. */
  public static String sha256(Path file, ReadPacer pacer) throws IOException {
    MessageDigest sha = newSha256();
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
        pacer.read(n);
      }
    }
    return hex(sha);
  }

  /** SHA-256 of {@code length} bytes of {@code data} from {@code offset}. */
  public static String sha256(byte[] data, int offset, int length) {
    MessageDigest sha = newSha256();
    sha.update(data, offset, length);
    return hex(sha);
  }

  public static String hex(MessageDigest sha) {
    return HexFormat.of().formatHex(sha.digest());
  }
}
