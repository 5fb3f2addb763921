package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code thaw image build} on a real image: builds once, then finds it in the cache. */
class ImageCommandIT {
  @TempDir Path dir;

  @Test
  void buildsOnceAndPrintsWhatTheGuestNeeds() throws Exception {
    Path image =
        ImageCommandTest.layout(
            dir.resolve("image"),
            "{\"Entrypoint\":[\"/app\"],\"Cmd\":[\"serve\"],\"Env\":[\"A=1\"],"
                + "\"ExposedPorts\":{\"8080/tcp\":{}}}",
            "app");
    String out = dir.resolve("out").toString();

    ImageCommandTest.Run first = ImageCommandTest.run("", image.toString(), "--out", out);
    assertThat(first.status()).as(first.err()).isZero();
    assertThat(first.out())
        .contains("digest   sha256:")
        .contains("(erofs, ")
        .contains("built    now, from 1 layer(s)")
        .contains("command  [/app, serve]")
        .contains("ports    [8080]")
        .contains("modules  crc32c-intel crc32c_generic libcrc32c erofs")
        .contains("took");

    ImageCommandTest.Run again = ImageCommandTest.run("", image.toString(), "--out", out);
    assertThat(again.status()).isZero();
    assertThat(again.out()).contains("built    earlier (from the cache)");
  }
}
