package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.io.Digests;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code thaw image build} refuses bad images and bad options in one line on stderr with exit
 * status 2, and leaves nothing in its output directory.
 */
class ImageCommandTest {
  @TempDir Path dir;

  /** What one run printed and returned. */
  record Run(int status, String out, String err) {}

  static Run run(String stdin, String... args) {
    List<String> all = new ArrayList<>(List.of("image", "build"));
    all.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    InputStream savedIn = System.in;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      int status = Thaw.commandLine().execute(all.toArray(String[]::new));
      return new Run(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
      System.setIn(savedIn);
    }
  }

  static String sha(byte[] b) {
    return "sha256:" + Digests.sha256(b, 0, b.length);
  }

  static String descriptor(String type, byte[] b) {
    return "{\"mediaType\":\""
        + type
        + "\",\"digest\":\""
        + sha(b)
        + "\",\"size\":"
        + b.length
        + "}";
  }

  /** An OCI layout of one image with one layer holding {@code name}. */
  static Path layout(Path dir, String configObject, String name) throws Exception {
    ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
      byte[] content = "content".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setSize(content.length);
      tar.putArchiveEntry(e);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    byte[] layer = tarBytes.toByteArray();
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":"
                + configObject
                + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + sha(layer)
                + "\"]}}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config)
                + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar", layer)
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
    for (byte[] b : List.of(layer, config, manifest)) {
      Files.write(blobs.resolve(sha(b).substring(7)), b);
    }
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":["
            + descriptor("application/vnd.oci.image.manifest.v1+json", manifest)
            + "]}");
    return dir;
  }

  private void refusedInOneLine(Run r, String expected) throws Exception {
    assertThat(r.status()).as(r.err()).isEqualTo(2);
    assertThat(r.err().strip().split("\n")).as(r.err()).hasSize(1);
    assertThat(r.err())
        .startsWith("refused: ")
        .contains(expected)
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    Path entries = dir.resolve("out/entries");
    if (Files.exists(entries)) {
      try (Stream<Path> s = Files.list(entries)) {
        assertThat(s).as("nothing built").isEmpty();
      }
    }
  }

  private String out() {
    return dir.resolve("out").toString();
  }

  @Test
  void aDirectoryThatIsNoImageIsRefused() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    refusedInOneLine(run("", empty.toString(), "--out", out()), "no oci-layout");
  }

  @Test
  void anImageWithoutCommandIsRefused() throws Exception {
    Path image = layout(dir.resolve("image"), "{\"Env\":[\"A=1\"]}", "app");
    refusedInOneLine(run("", image.toString(), "--out", out()), "neither Entrypoint nor Cmd");
  }

  @Test
  void anEntryClimbingOutIsRefusedNamingIt() throws Exception {
    Path image = layout(dir.resolve("image"), "{\"Cmd\":[\"/app\"]}", "../../etc/evil");
    refusedInOneLine(run("", image.toString(), "--out", out()), "'../../etc/evil'");
    assertThat(dir.getParent().resolve("etc/evil")).doesNotExist();
  }

  @Test
  void badOptionsAreRefusedBeforeAnythingIsRead() throws Exception {
    refusedInOneLine(
        run("", "python", "--format", "zfs", "--out", out()), "unknown filesystem format");
    refusedInOneLine(
        run("", "python", "--max-layer-size", "lots", "--out", out()), "--max-layer-size");
    refusedInOneLine(
        run("", "python", "--username", "u", "--out", out()), "--username needs --password-stdin");
    refusedInOneLine(run("", "Not/A/Ref", "--out", out()), "bad repository name");
  }

  @Test
  void aPasswordFromStandardInputIsNeverPrinted() throws Exception {
    // A registry that does not answer: the run fails, and nothing it prints holds the password.
    Run r =
        run(
            "hunter2-secret\n",
            "127.0.0.1:9/fn:v1",
            "--username",
            "ci",
            "--password-stdin",
            "--out",
            out());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("cannot reach registry 127.0.0.1:9");
    assertThat(r.out() + r.err()).doesNotContain("hunter2-secret");
  }
}
