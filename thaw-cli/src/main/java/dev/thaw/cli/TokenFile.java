package dev.thaw.cli;

import dev.thaw.http.BearerToken;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The file that holds a cluster's management token: the token's text and a newline, mode 0600 (its
 * owner only). Written whole or not at all: a complete temporary file in the same directory,
 * created 0600, then renamed into place, so no reader ever sees half a token or a moment of a
 * looser mode.
 */
final class TokenFile {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private TokenFile() {}

  /**
   * The token in {@code file}.
   *
   * @throws IOException when it cannot be read or holds no valid token
   */
  static BearerToken read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return BearerToken.of(text);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " holds no valid token: " + e.getMessage(), e);
    }
  }

  /**
   * The token in {@code file}, made first when the file is missing or holds no valid token. A file
   * kept is made 0600 again if it was not. Processes making a missing file at once agree on one
   * token: the file appears by a hard link, which fails for all but the first, and they read its
   * token. (Processes replacing an invalid file at once may not agree: the last one's stays.)
   */
  static BearerToken readOrCreate(Path file) throws IOException {
    Optional<BearerToken> kept = valid(file);
    if (kept.isPresent()) {
      if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
        Files.setPosixFilePermissions(file, OWNER_ONLY);
      }
      return kept.get();
    }
    BearerToken token = BearerToken.generate();
    Path dir = Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp =
        Files.createTempFile(
            dir, ".token-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    try {
      Files.writeString(tmp, token.value() + "\n", StandardCharsets.UTF_8);
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      if (Files.exists(file)) {
        Optional<BearerToken> meanwhile = valid(file);
        if (meanwhile.isPresent()) {
          return meanwhile.get(); // another process made it since the first look
        }
        // Present but not a token: replace it.
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        // A link fails if another process made the file meanwhile; rename would overwrite it.
        try {
          Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException raced) {
          return read(file);
        } catch (UnsupportedOperationException noLinks) {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      return token;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static Optional<BearerToken> valid(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(BearerToken.of(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IllegalArgumentException | java.nio.charset.MalformedInputException e) {
      return Optional.empty();
    }
  }
}
