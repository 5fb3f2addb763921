package dev.thaw.image;

import dev.thaw.core.io.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes small images as OCI layouts, OCI archives and {@code docker save} tarballs. */
final class Layouts {
  private Layouts() {}

  /** An image written: the manifest digest and the layout directory. */
  record Written(String digest, Path dir) {}

  static String config(String configObject, List<byte[]> uncompressedLayers) {
    List<String> ids = new ArrayList<>();
    for (byte[] l : uncompressedLayers) {
      ids.add("\"" + digest(l) + "\"");
    }
    return "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":"
        + configObject
        + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
        + String.join(",", ids)
        + "]}}";
  }

  static String digest(byte[] b) {
    return "sha256:" + Digests.sha256(b, 0, b.length);
  }

  static String descriptor(String mediaType, byte[] blob) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest(blob)
        + "\",\"size\":"
        + blob.length
        + "}";
  }

  static byte[] manifest(byte[] config, List<byte[]> layers) {
    List<String> ls = new ArrayList<>();
    for (byte[] l : layers) {
      ls.add(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", l));
    }
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + Manifests.OCI_MANIFEST
            + "\",\"config\":"
            + descriptor(Manifests.OCI_CONFIG, config)
            + ",\"layers\":["
            + String.join(",", ls)
            + "]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Writes an OCI layout of one image: {@code layers} as given (compressed or not), {@code
   * uncompressed} for the config's diff_ids.
   */
  static Written layout(
      Path dir, String configObject, List<byte[]> layers, List<byte[]> uncompressed)
      throws IOException {
    byte[] config = config(configObject, uncompressed).getBytes(StandardCharsets.UTF_8);
    byte[] manifest = manifest(config, layers);
    Files.createDirectories(dir.resolve("blobs/sha256"));
    blob(dir, config);
    blob(dir, manifest);
    for (byte[] l : layers) {
      blob(dir, l);
    }
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
            + Manifests.OCI_MANIFEST
            + "\",\"digest\":\""
            + digest(manifest)
            + "\",\"size\":"
            + manifest.length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    return new Written(digest(manifest), dir);
  }

  /** One uncompressed layer, as its own diff_id. */
  static Written layout(Path dir, String configObject, byte[] layer) throws IOException {
    return layout(dir, configObject, List.of(layer), List.of(layer));
  }

  static Path blob(Path layout, byte[] blob) throws IOException {
    return Files.write(layout.resolve("blobs/sha256/" + digest(blob).substring(7)), blob);
  }

  /** The files under {@code dir} as an uncompressed tar (an OCI archive when dir is a layout). */
  static Path archive(Path dir, Path tarFile) throws IOException {
    try (OutputStream out = Files.newOutputStream(tarFile);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        TarArchiveEntry e = new TarArchiveEntry(f.toFile(), dir.relativize(f).toString());
        tar.putArchiveEntry(e);
        Files.copy(f, tar);
        tar.closeArchiveEntry();
      }
    }
    return tarFile;
  }

  /** A {@code docker save} tarball of one image with uncompressed layers. */
  static Path dockerSave(Path work, String configObject, List<byte[]> layers, String repoTag)
      throws IOException {
    Path dir = Files.createDirectories(work.resolve("docker-save"));
    byte[] config = config(configObject, layers).getBytes(StandardCharsets.UTF_8);
    String configName = digest(config).substring(7) + ".json";
    Files.write(dir.resolve(configName), config);
    List<String> names = new ArrayList<>();
    for (byte[] l : layers) {
      String name = digest(l).substring(7, 19) + "/layer.tar";
      Files.createDirectories(dir.resolve(name).getParent());
      Files.write(dir.resolve(name), l);
      names.add("\"" + name + "\"");
    }
    Files.writeString(
        dir.resolve("manifest.json"),
        "[{\"Config\":\""
            + configName
            + "\",\"RepoTags\":[\""
            + repoTag
            + "\"],\"Layers\":["
            + String.join(",", names)
            + "]}]");
    return archive(dir, work.resolve("docker-save.tar"));
  }
}
