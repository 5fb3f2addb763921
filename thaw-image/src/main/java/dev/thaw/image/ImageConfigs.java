package dev.thaw.image;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** Reads an image config blob (OCI or Docker): the platform and the {@code config} object. */
final class ImageConfigs {
  private ImageConfigs() {}

  /**
   * Parses {@code bytes}, checking it is a linux/amd64 image with {@code layers} layers.
   *
   * @throws NotAnImageException for another platform, bad JSON or a layer count that does not match
   */
  static ImageConfig parse(byte[] bytes, String what, int layers) throws NotAnImageException {
    JsonNode tree = Manifests.readTree(bytes, what + " config");
    String os = tree.path("os").asString("linux");
    String arch = tree.path("architecture").asString("amd64");
    if (!os.equals("linux") || !arch.equals("amd64")) {
      throw new NotAnImageException(
          what + ": an image for " + os + "/" + arch + "; Thaw's guests run linux/amd64");
    }
    JsonNode diffIds = tree.path("rootfs").path("diff_ids");
    if (diffIds.isArray() && diffIds.size() != layers) {
      throw new NotAnImageException(
          what + ": its config lists " + diffIds.size() + " layers, its manifest " + layers);
    }
    JsonNode c = tree.path("config");
    Set<Integer> ports = new LinkedHashSet<>();
    for (var it = c.path("ExposedPorts").propertyNames().iterator(); it.hasNext(); ) {
      String key = it.next();
      String[] parts = key.split("/", 2);
      if (parts.length == 2 && !parts[1].equalsIgnoreCase("tcp")) {
        continue;
      }
      try {
        ports.add(Integer.parseInt(parts[0]));
      } catch (NumberFormatException e) {
        throw new NotAnImageException(what + ": exposed port '" + key + "' is not a number");
      }
    }
    try {
      return new ImageConfig(
          strings(c.path("Entrypoint")),
          strings(c.path("Cmd")),
          strings(c.path("Env")),
          c.path("WorkingDir").asString(""),
          c.path("User").asString(""),
          ports,
          null,
          labels(c.path("Labels")));
    } catch (IllegalArgumentException e) {
      throw new NotAnImageException(what + ": " + e.getMessage());
    }
  }

  /** The config's {@code rootfs.diff_ids}: digests of the uncompressed layers. */
  static List<String> diffIds(byte[] bytes, String what) throws NotAnImageException {
    List<String> ids = new ArrayList<>();
    for (JsonNode id :
        Manifests.readTree(bytes, what + " config").path("rootfs").path("diff_ids")) {
      ids.add(id.asString(""));
    }
    return ids;
  }

  /** {@code Labels}: string values only (a label is a string in both specs). */
  private static Map<String, String> labels(JsonNode labels) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : labels.properties()) {
      if (e.getValue().isString()) {
        out.put(e.getKey(), e.getValue().asString());
      }
    }
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode s : array) {
      out.add(s.asString(""));
    }
    return out;
  }
}
