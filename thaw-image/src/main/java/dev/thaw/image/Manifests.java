package dev.thaw.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads image manifests and indexes (OCI and Docker schema 2 alike) and picks the linux/amd64 image
 * of an index. Docker schema 1 manifests, long deprecated, are refused.
 */
public final class Manifests {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

  /** Every manifest type Thaw reads, for a registry's Accept header. */
  public static final String ACCEPT =
      String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST);

  static final JsonMapper JSON = JsonMapper.builder().build();

  /** A parsed manifest: an image, or an index of images. */
  public sealed interface Parsed permits Image, Index {}

  /** One image: its config blob and its layers, bottom first. */
  public record Image(Descriptor config, List<Descriptor> layers) implements Parsed {
    public Image {
      layers = List.copyOf(layers);
    }
  }

  /** An index: one manifest per platform. */
  public record Index(List<Entry> manifests) implements Parsed {
    public Index {
      manifests = List.copyOf(manifests);
    }
  }

  /** One manifest of an index, with its platform ("" where the index gives none). */
  public record Entry(Descriptor descriptor, String os, String architecture, String refName) {}

  private Manifests() {}

  /**
   * Parses manifest or index bytes.
   *
   * @param what names the manifest in errors
   * @throws NotAnImageException when the bytes are no manifest Thaw reads
   */
  public static Parsed parse(byte[] bytes, String what) throws NotAnImageException {
    JsonNode tree = readTree(bytes, what);
    String mediaType = tree.path("mediaType").asString("");
    if (tree.path("schemaVersion").asInt(0) == 1) {
      throw new NotAnImageException(what + ": Docker schema 1 manifests are not supported");
    }
    if (tree.has("manifests") || mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_LIST)) {
      List<Entry> entries = new ArrayList<>();
      for (JsonNode m : tree.path("manifests")) {
        JsonNode platform = m.path("platform");
        entries.add(
            new Entry(
                descriptor(m, what),
                platform.path("os").asString(""),
                platform.path("architecture").asString(""),
                m.path("annotations").path("org.opencontainers.image.ref.name").asString("")));
      }
      return new Index(entries);
    }
    if (!tree.has("config") || !tree.has("layers")) {
      throw new NotAnImageException(
          what + ": not an image manifest (no config and layers" + describe(mediaType) + ")");
    }
    Descriptor config = descriptor(tree.path("config"), what);
    if (!config.mediaType().equals(OCI_CONFIG) && !config.mediaType().equals(DOCKER_CONFIG)) {
      throw new NotAnImageException(
          what + ": not a container image: its config has type '" + config.mediaType() + "'");
    }
    List<Descriptor> layers = new ArrayList<>();
    for (JsonNode l : tree.path("layers")) {
      layers.add(descriptor(l, what));
    }
    return new Image(config, layers);
  }

  /** The linux/amd64 image of an index, the only one Thaw's guests run. */
  public static Entry pickLinuxAmd64(Index index, String what) throws NotAnImageException {
    Optional<Entry> hit =
        index.manifests().stream()
            .filter(e -> e.os().equals("linux") && e.architecture().equals("amd64"))
            .findFirst();
    if (hit.isPresent()) {
      return hit.get();
    }
    List<String> platforms =
        index.manifests().stream().map(e -> e.os() + "/" + e.architecture()).toList();
    throw new NotAnImageException(
        what + ": no linux/amd64 image in its index (it has " + platforms + ")");
  }

  static JsonNode readTree(byte[] bytes, String what) throws NotAnImageException {
    JsonNode tree;
    try {
      tree = JSON.readTree(bytes);
    } catch (JacksonException e) {
      throw new NotAnImageException(what + ": not JSON: " + e.getOriginalMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new NotAnImageException(what + ": not a JSON object");
    }
    return tree;
  }

  private static Descriptor descriptor(JsonNode node, String what) throws NotAnImageException {
    String digest = node.path("digest").asString("");
    if (!Descriptor.isDigest(digest)) {
      throw new NotAnImageException(
          what + ": a descriptor has digest '" + digest + "' (only sha256 digests are read)");
    }
    if (!node.path("size").canConvertToLong() || node.path("size").asLong() < 0) {
      throw new NotAnImageException(what + ": descriptor " + digest + " has no valid size");
    }
    return new Descriptor(node.path("mediaType").asString(""), digest, node.path("size").asLong());
  }

  private static String describe(String mediaType) {
    return mediaType.isEmpty() ? "" : "; media type " + mediaType;
  }
}
