package dev.thaw.image;

import dev.thaw.core.io.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A {@code docker save} tarball in Docker's own format: {@code manifest.json} lists each image's
 * config file and layer tars. Docker writes them uncompressed, other tools gzip them; either way a
 * layer is given out uncompressed and checked against the config's {@code diff_ids} (the digests of
 * the uncompressed layers). There is no manifest, so the image is named by its config digest,
 * Docker's image ID.
 */
final class DockerArchiveSource implements ImageSource {
  private static final String LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

  private final BlobFiles files;
  private final String what;
  private final Optional<String> repoTag;
  private final java.util.Map<String, String> pathOfDigest = new java.util.HashMap<>();

  DockerArchiveSource(BlobFiles files, String what, Optional<String> repoTag) {
    this.files = files;
    this.what = what;
    this.repoTag = repoTag;
  }

  @Override
  public String describe() {
    return what + repoTag.map(n -> " (" + n + ")").orElse("");
  }

  @Override
  public ResolvedImage resolve() throws IOException {
    Optional<InputStream> manifest = files.open("manifest.json");
    if (manifest.isEmpty()) {
      throw new NotAnImageException(
          what + ": not an image tarball (neither oci-layout nor manifest.json)");
    }
    JsonNode tree =
        Manifests.JSON.readTree(Blobs.readBounded(manifest.get(), what + " manifest.json"));
    if (tree == null || !tree.isArray() || tree.isEmpty()) {
      throw new NotAnImageException(what + ": manifest.json lists no image");
    }
    JsonNode image = pick(tree);
    String configPath = image.path("Config").asString("");
    long configSize = files.size(configPath);
    if (configSize < 0 || configSize > Blobs.MAX_METADATA_BYTES) {
      throw new NotAnImageException(what + ": no usable config file '" + configPath + "'");
    }
    byte[] config;
    try (InputStream in = files.require(configPath, what)) {
      config = in.readAllBytes();
    }
    String configDigest = "sha256:" + Digests.sha256(config, 0, config.length);
    List<String> diffIds = ImageConfigs.diffIds(config, what);
    JsonNode layerPaths = image.path("Layers");
    if (layerPaths.size() != diffIds.size()) {
      throw new NotAnImageException(
          what + ": " + layerPaths.size() + " layer files for " + diffIds.size() + " diff_ids");
    }
    List<Descriptor> layers = new ArrayList<>();
    for (int i = 0; i < diffIds.size(); i++) {
      String path = layerPaths.get(i).asString("");
      if (files.size(path) < 0) {
        throw new NotAnImageException(what + ": layer file '" + path + "' is missing");
      }
      if (!Descriptor.isDigest(diffIds.get(i))) {
        throw new NotAnImageException(what + ": diff_id '" + diffIds.get(i) + "' is no digest");
      }
      layers.add(new Descriptor(LAYER_TAR, diffIds.get(i), Descriptor.UNKNOWN_SIZE));
      pathOfDigest.put(diffIds.get(i), path);
    }
    return new ResolvedImage(configDigest, ImageConfigs.parse(config, what, layers.size()), layers);
  }

  private JsonNode pick(JsonNode images) throws NotAnImageException {
    if (repoTag.isEmpty()) {
      if (images.size() > 1) {
        throw new NotAnImageException(
            what + ": holds " + images.size() + " images; name one as FILE:REPO:TAG");
      }
      return images.get(0);
    }
    for (JsonNode image : images) {
      for (JsonNode tag : image.path("RepoTags")) {
        if (tag.asString("").equals(repoTag.get())) {
          return image;
        }
      }
    }
    throw new NotAnImageException(what + ": no image tagged '" + repoTag.get() + "'");
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    String path = pathOfDigest.get(blob.digest());
    if (path == null) {
      throw new NotAnImageException(what + ": no layer " + blob.digest());
    }
    return Compression.decompress(
        new java.io.BufferedInputStream(files.require(path, what), 1 << 16));
  }

  @Override
  public void close() throws IOException {
    files.close();
  }
}
