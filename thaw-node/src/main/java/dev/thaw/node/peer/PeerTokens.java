package dev.thaw.node.peer;

import dev.thaw.http.BearerToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The peer token: the credential agents read each other's chunks with, distinct from the management
 * token (a leaked peer token manages nothing; the management token reads no chunk).
 *
 * <p>File format ({@code --peer-token-file}, {@code <data-dir>/peer-token}, mode 0600): one token
 * per line ({@link BearerToken}'s form), one or two lines, blank lines ignored. The first line is
 * the token this agent sends; every line is accepted. Two lines exist only during a rotation: the
 * new token is added as a second line everywhere, then moved first, then the old line removed, each
 * step by a rolling restart (see docs/kubernetes.md).
 *
 * <p>A presented token is compared with every accepted one, each in constant time ({@link
 * BearerToken#judge}), so the time taken does not depend on which (if any) matched.
 */
public final class PeerTokens {
  /** The environment variable that may carry the token itself (one token). */
  public static final String ENV = "THAW_PEER_TOKEN";

  private final List<BearerToken> accepted;

  private PeerTokens(List<BearerToken> accepted) {
    this.accepted = List.copyOf(accepted);
  }

  /**
   * The tokens of a file's text.
   *
   * @throws IllegalArgumentException when it holds no token, more than two, or a line that is not
   *     one (the line's text stays out of the message)
   */
  public static PeerTokens parse(String text) {
    List<BearerToken> tokens = new ArrayList<>();
    int line = 0;
    for (String l : text.split("\n", -1)) {
      line++;
      if (l.isBlank()) {
        continue;
      }
      try {
        tokens.add(BearerToken.of(l));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + line + ": " + e.getMessage(), e);
      }
    }
    if (tokens.isEmpty() || tokens.size() > 2) {
      throw new IllegalArgumentException(
          "a peer token file holds one token, or two while rotating; this one holds "
              + tokens.size());
    }
    return new PeerTokens(tokens);
  }

  /** Just {@code token}. */
  public static PeerTokens of(BearerToken token) {
    return new PeerTokens(List.of(token));
  }

  /**
   * The tokens in {@code file}.
   *
   * @throws IOException when it cannot be read or holds no valid tokens
   */
  public static PeerTokens read(Path file) throws IOException {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " holds no valid peer token: " + e.getMessage(), e);
    }
  }

  /**
   * The tokens in {@code file}, made first (one fresh token, mode 0600, appearing whole by a hard
   * link so concurrent makers agree on one) when it does not exist.
   */
  public static PeerTokens readOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      return read(file);
    }
    Path dir = Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp =
        Files.createTempFile(
            dir,
            ".peer-token-",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      BearerToken token = BearerToken.generate();
      Files.writeString(tmp, token.value() + "\n", StandardCharsets.UTF_8);
      try {
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException raced) {
        return read(file);
      }
      return of(token);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The token this agent sends to its peers: the first line. */
  public BearerToken current() {
    return accepted.get(0);
  }

  /** How many tokens are accepted (two only during a rotation). */
  public int size() {
    return accepted.size();
  }

  /** Judges a request's {@code Authorization} header against every accepted token. */
  public BearerToken.Verdict judge(Optional<String> authorization) {
    BearerToken.Verdict verdict = BearerToken.Verdict.WRONG;
    for (BearerToken t : accepted) {
      BearerToken.Verdict v = t.judge(authorization);
      if (v != BearerToken.Verdict.WRONG) {
        verdict = v;
      }
    }
    return verdict;
  }

  @Override
  public String toString() {
    return "PeerTokens[" + accepted.size() + ", redacted]";
  }
}
