package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * An image in an OCI image layout (a directory, or an OCI archive: the same files in a tar): {@code
 * oci-layout}, {@code index.json} and {@code blobs/sha256/<hex>}. With several images in {@code
 * index.json}, the one whose {@code org.opencontainers.image.ref.name} annotation is the given name
 * is taken; without a name the only image, or the linux/amd64 one of a multi-platform layout.
 */
final class OciLayoutSource implements ImageSource {
  private final BlobFiles files;
  private final String what;
  private final Optional<String> refName;

  OciLayoutSource(BlobFiles files, String what, Optional<String> refName) {
    this.files = files;
    this.what = what;
    this.refName = refName;
  }

  @Override
  public String describe() {
    return what + refName.map(n -> " (" + n + ")").orElse("");
  }

  @Override
  public ResolvedImage resolve() throws IOException {
    if (files.size("oci-layout") < 0) {
      throw new NotAnImageException(what + ": not an OCI image layout (no oci-layout file)");
    }
    byte[] indexBytes = Blobs.readBounded(files.require("index.json", what), what + " index.json");
    Manifests.Parsed parsed = Manifests.parse(indexBytes, what + " index.json");
    if (!(parsed instanceof Manifests.Index index)) {
      throw new NotAnImageException(what + ": index.json is not an image index");
    }
    Descriptor chosen = choose(index);
    return resolveManifest(chosen, 0);
  }

  private Descriptor choose(Manifests.Index index) throws NotAnImageException {
    List<Manifests.Entry> entries = index.manifests();
    if (refName.isPresent()) {
      return entries.stream()
          .filter(e -> e.refName().equals(refName.get()))
          .findFirst()
          .orElseThrow(
              () ->
                  new NotAnImageException(
                      what
                          + ": no image named '"
                          + refName.get()
                          + "' (it has "
                          + names(entries)
                          + ")"))
          .descriptor();
    }
    if (entries.size() == 1) {
      return entries.get(0).descriptor();
    }
    if (entries.isEmpty()) {
      throw new NotAnImageException(what + ": index.json lists no image");
    }
    if (entries.stream().allMatch(e -> e.os().isEmpty())) {
      throw new NotAnImageException(
          what + ": holds several images; name one of " + names(entries) + " as DIR:NAME");
    }
    return Manifests.pickLinuxAmd64(index, what).descriptor();
  }

  private ResolvedImage resolveManifest(Descriptor d, int depth) throws IOException {
    String name = what + " manifest " + d.digest();
    byte[] bytes = Blobs.readVerified(blob(d, name), d, name);
    Manifests.Parsed parsed = Manifests.parse(bytes, name);
    if (parsed instanceof Manifests.Index nested) {
      if (depth > 0) {
        throw new NotAnImageException(name + ": an index inside an index inside an index");
      }
      return resolveManifest(Manifests.pickLinuxAmd64(nested, name).descriptor(), depth + 1);
    }
    Manifests.Image image = (Manifests.Image) parsed;
    byte[] config =
        Blobs.readVerified(
            blob(image.config(), what + " config"), image.config(), what + " config");
    return new ResolvedImage(
        d.digest(), ImageConfigs.parse(config, what, image.layers().size()), image.layers());
  }

  private InputStream blob(Descriptor d, String name) throws IOException {
    return files
        .open("blobs/sha256/" + d.hex())
        .orElseThrow(() -> new NotAnImageException(name + ": blob missing from the layout"));
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    return blob(blob, what + " blob " + blob.digest());
  }

  @Override
  public void close() throws IOException {
    files.close();
  }

  private static List<String> names(List<Manifests.Entry> entries) {
    return entries.stream().map(Manifests.Entry::refName).filter(n -> !n.isEmpty()).toList();
  }
}
