package dev.thaw.image;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Pushes an OCI layout's image to a registry byte for byte with the distribution API's monolithic
 * upload ({@code POST} then {@code PUT ?digest=}), then its manifest under a tag. Images built by
 * images/build.sh keep their exact digests this way.
 */
public final class LayoutPusher {
  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;

  public LayoutPusher(String registryUrl, String repository) {
    this.base = registryUrl + "/v2/" + repository;
  }

  /**
   * Pushes the one image of an OCI layout directory (as images/build.sh writes them) as {@code
   * tag}; returns its manifest digest.
   */
  public String pushLayout(Path layout, String tag) throws Exception {
    var index = Manifests.JSON.readTree(Files.readAllBytes(layout.resolve("index.json")));
    var entry = index.path("manifests").get(0);
    String digest = entry.path("digest").asString();
    push(layout, digest, entry.path("mediaType").asString(), tag);
    return digest;
  }

  /**
   * Pushes the manifest {@code digest} of {@code layout} (and the blobs it names) as {@code tag}.
   */
  public void push(Path layout, String manifestDigest, String mediaType, String tag)
      throws Exception {
    byte[] manifest = blob(layout, manifestDigest);
    var tree = Manifests.JSON.readTree(manifest);
    pushBlob(layout, tree.path("config").path("digest").asString());
    for (var layer : tree.path("layers")) {
      pushBlob(layout, layer.path("digest").asString());
    }
    putManifest(manifest, mediaType, tag);
  }

  void putManifest(byte[] manifest, String mediaType, String tag) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/manifests/" + tag))
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("manifest PUT answered " + r.statusCode() + ": " + r.body());
    }
  }

  private void pushBlob(Path layout, String digest) throws Exception {
    HttpResponse<String> start =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (start.statusCode() != 202) {
      throw new IOException("upload POST answered " + start.statusCode() + ": " + start.body());
    }
    URI location = URI.create(base).resolve(start.headers().firstValue("Location").orElseThrow());
    String sep = location.toString().contains("?") ? "&" : "?";
    HttpResponse<String> put =
        http.send(
            HttpRequest.newBuilder(URI.create(location + sep + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob(layout, digest)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (put.statusCode() != 201) {
      throw new IOException("upload PUT answered " + put.statusCode() + ": " + put.body());
    }
  }

  private static byte[] blob(Path layout, String digest) throws IOException {
    return Files.readAllBytes(layout.resolve("blobs/sha256/" + digest.substring(7)));
  }
}
