package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.http.BearerToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token file (mode, reuse, races) and where the commands look for the token. */
class TokenFileTest {
  @TempDir Path dir;

  private static String mode(Path file) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  @Test
  void aNewTokenFileIsReadableByItsOwnerOnlyAndKeptAfterwards() throws Exception {
    Path file = dir.resolve("serve/token");
    BearerToken made = TokenFile.readOrCreate(file);
    assertThat(mode(file)).isEqualTo("rw-------");
    assertThat(Files.readString(file)).isEqualTo(made.value() + "\n");
    assertThat(TokenFile.readOrCreate(file).value()).isEqualTo(made.value());
    assertThat(TokenFile.read(file).value()).isEqualTo(made.value());
    // Nothing else is left in the directory (no temporary file).
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void aKeptFileWithALooserModeIsTightenedAndAnInvalidOneReplaced() throws Exception {
    Path file = dir.resolve("token");
    String kept = BearerToken.generate().value();
    Files.writeString(file, kept);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(TokenFile.readOrCreate(file).value()).isEqualTo(kept);
    assertThat(mode(file)).isEqualTo("rw-------");

    Files.writeString(file, "not a token");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> TokenFile.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("holds no valid token");
    BearerToken replaced = TokenFile.readOrCreate(file);
    assertThat(replaced.value()).isNotEqualTo(kept);
    assertThat(mode(file)).isEqualTo("rw-------");
  }

  @Test
  void processesMakingTheFileAtOnceAgreeOnOneToken() throws Exception {
    Path file = dir.resolve("raced/token");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<String>> makers =
          IntStream.range(0, 8)
              .<Callable<String>>mapToObj(i -> () -> TokenFile.readOrCreate(file).value())
              .toList();
      Set<String> tokens =
          pool.invokeAll(makers).stream()
              .map(
                  f -> {
                    try {
                      return f.get();
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  })
              .collect(Collectors.toSet());
      assertThat(tokens).containsExactly(TokenFile.read(file).value());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void clientsTakeTheFileThenTheEnvironmentThenTheDefaultDataDirectorysFile() throws Exception {
    String fromFile = BearerToken.generate().value();
    String fromEnv = BearerToken.generate().value();
    String fromDefault = BearerToken.generate().value();
    Path serveDir = Files.createDirectories(dir.resolve("serve"));
    Files.writeString(serveDir.resolve("token"), fromDefault);
    Map<String, String> env = new HashMap<>();
    env.put("THAW_SERVE_DIR", serveDir.toString());
    TokenOptions options = new TokenOptions();
    options.env = env;
    assertThat(options.forClient().value()).isEqualTo(fromDefault);
    env.put(TokenOptions.ENV, fromEnv);
    assertThat(options.forClient().value()).isEqualTo(fromEnv);
    options.tokenFile = Files.writeString(dir.resolve("given"), fromFile + "\n");
    assertThat(options.forClient().value()).isEqualTo(fromFile);

    options.tokenFile = null;
    env.remove(TokenOptions.ENV);
    Files.delete(serveDir.resolve("token"));
    assertThatThrownBy(options::forClient)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("--token-file")
        .hasMessageContaining(TokenOptions.ENV);
    env.put(TokenOptions.ENV, "too short");
    assertThatThrownBy(options::forClient).hasMessageContaining(TokenOptions.ENV);
  }

  @Test
  void serversMakeTheirFallbackFileOnlyWhenNeitherFileNorEnvironmentGivesOne() throws Exception {
    TokenOptions options = new TokenOptions();
    options.env = Map.of(TokenOptions.ENV, "e".repeat(64));
    Path fallback = dir.resolve("fallback/token");
    assertThat(options.forServer(fallback).value()).isEqualTo("e".repeat(64));
    assertThat(fallback).doesNotExist();
    options.env = Map.of();
    BearerToken made = options.forServer(fallback);
    assertThat(TokenFile.read(fallback).value()).isEqualTo(made.value());
    assertThat(mode(fallback)).isEqualTo("rw-------");
  }
}
