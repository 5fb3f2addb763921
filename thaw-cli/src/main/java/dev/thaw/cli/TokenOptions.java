package dev.thaw.cli;

import dev.thaw.http.BearerToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How a command finds the cluster's management token: {@code --token-file FILE}, else the
 * environment variable {@value #ENV}, else a default file. Never a token on the command line, where
 * every user of the machine could read it (ps).
 */
final class TokenOptions {
  /** The environment variable that may carry the token itself. */
  static final String ENV = "THAW_TOKEN";

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "The management token's file (default: $THAW_TOKEN, else the token file of the default"
              + " data directory, $THAW_SERVE_DIR or ~/.local/share/thaw/serve).")
  Path tokenFile;

  /** The environment read; a field so tests can give their own. */
  Map<String, String> env = System.getenv();

  /**
   * The token a client sends: from {@code --token-file}, {@value #ENV}, or the default data
   * directory's token file, which {@code thaw serve} writes.
   *
   * @throws IOException when none of them holds a token, with what to do
   */
  BearerToken forClient() throws IOException {
    if (tokenFile != null) {
      return TokenFile.read(tokenFile);
    }
    String value = env.get(ENV);
    if (value != null && !value.isBlank()) {
      return fromEnv(value);
    }
    Path file = defaultFile(env);
    try {
      return TokenFile.read(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(
          "no management token: "
              + file
              + " does not exist (thaw serve writes it there); give --token-file FILE or set "
              + ENV,
          e);
    }
  }

  /**
   * The token a server asks for: from {@code --token-file} or {@value #ENV}, else {@code fallback},
   * made there (0600) when it is missing.
   */
  BearerToken forServer(Path fallback) throws IOException {
    if (tokenFile != null) {
      return TokenFile.read(tokenFile);
    }
    String value = env.get(ENV);
    if (value != null && !value.isBlank()) {
      return fromEnv(value);
    }
    return TokenFile.readOrCreate(fallback);
  }

  private static BearerToken fromEnv(String value) throws IOException {
    try {
      return BearerToken.of(value);
    } catch (IllegalArgumentException e) {
      throw new IOException(ENV + " holds no valid token: " + e.getMessage(), e);
    }
  }

  /**
   * The default data directory: {@code $THAW_SERVE_DIR}, else {@code ~/.local/share/thaw/serve}.
   */
  static Path defaultDataDir(Map<String, String> env) {
    String dir = env.get("THAW_SERVE_DIR");
    return dir != null && !dir.isBlank()
        ? Path.of(dir)
        : Path.of(System.getProperty("user.home"), ".local", "share", "thaw", "serve");
  }

  /** The token file of the default data directory. */
  static Path defaultFile(Map<String, String> env) {
    return defaultDataDir(env).resolve("token");
  }
}
