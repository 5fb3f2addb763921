package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.Digests;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A deploy runs an image's named user as the image's own passwd and group files say. */
class ImageFunctionsUsersTest {
  private static final String PASSWD =
      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  private static final String GROUP =
      "root:x:0:\napp:x:1000:\naudio:x:2000:app\nvideo:x:3000:app\n";

  @TempDir Path tmp;

  private ImageFunctions functions() throws IOException {
    RootImageCache cache = RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now);
    return new ImageFunctions(
        RootImageBuilder.builder(cache).build(), ImageSources.Registries.fromEnvironment(Map.of()));
  }

  @Test
  void aNamedUserRunsWithItsIdsGroupsAndHome() throws Exception {
    Path layout = layout(tmp.resolve("app"), "app");
    FunctionImage f =
        functions().resolve(Revision.of("app"), ImageDeployment.of(layout.toString())).image();
    assertThat(f.user()).isEqualTo("1000:1000");
    assertThat(f.groups()).containsExactly(2000, 3000);
    assertThat(f.env()).containsExactly("PATH=/bin", "HOME=/home/app");
    assertThat(new String(f.guestDescription(), StandardCharsets.UTF_8))
        .contains("\0user=1000:1000\0groups=2000,3000\0");
  }

  @Test
  void aUserTheImageLacksIsRefusedAsInvalidNamingTheUserAndTheImage() throws Exception {
    Path layout = layout(tmp.resolve("nobody"), "nobody-here");
    assertThatThrownBy(
            () -> functions().resolve(Revision.of("nobody"), ImageDeployment.of(layout.toString())))
        .isInstanceOfSatisfying(
            Refused.class, r -> assertThat(r.kind()).isEqualTo(Refused.Kind.INVALID))
        .hasMessageContaining("'nobody-here'")
        .hasMessageContaining(layout.toString());
  }

  /** An OCI layout of one image whose one layer holds /etc/passwd, /etc/group and /bin/app. */
  private static Path layout(Path dir, String user) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      entry(tar, "etc/", null);
      entry(tar, "etc/passwd", PASSWD);
      entry(tar, "etc/group", GROUP);
      entry(tar, "bin/", null);
      entry(tar, "bin/app", "#!/bin/sh\n");
    }
    byte[] layer = bytes.toByteArray();
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/bin/app\"],"
                + "\"Env\":[\"PATH=/bin\"],\"User\":\""
                + user
                + "\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + digest(layer)
                + "\"]}}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config)
                + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar", layer)
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
    for (byte[] blob : new byte[][] {layer, config, manifest}) {
      Files.write(blobs.resolve(digest(blob).substring("sha256:".length())), blob);
    }
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":["
            + descriptor("application/vnd.oci.image.manifest.v1+json", manifest)
            + "]}");
    return dir;
  }

  private static void entry(TarArchiveOutputStream tar, String name, String text)
      throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    byte[] content = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    e.setMode(text == null ? 040755 : 0100755);
    e.setSize(content.length);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private static String digest(byte[] b) {
    return "sha256:" + Digests.sha256(b, 0, b.length);
  }

  private static String descriptor(String mediaType, byte[] blob) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest(blob)
        + "\",\"size\":"
        + blob.length
        + "}";
  }
}
