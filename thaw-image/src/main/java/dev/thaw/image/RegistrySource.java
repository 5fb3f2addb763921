package dev.thaw.image;

import dev.thaw.core.io.Digests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An image in a registry, by tag or digest. An index (multi-platform image) resolves to its
 * linux/amd64 manifest. Manifests pulled by digest, and by tag when the registry states the digest,
 * are checked against it; the config is checked against its descriptor.
 */
final class RegistrySource implements ImageSource {
  private final RegistryClient client;
  private final ImageReference ref;

  RegistrySource(RegistryClient client, ImageReference ref) {
    this.client = client;
    this.ref = ref;
  }

  @Override
  public String describe() {
    return ref.toString();
  }

  @Override
  public ResolvedImage resolve() throws IOException {
    String reference = ref.manifestReference();
    String what = ref.toString();
    for (int depth = 0; depth < 2; depth++) {
      RegistryClient.Manifest m = client.manifest(reference);
      String digest = "sha256:" + Digests.sha256(m.bytes(), 0, m.bytes().length);
      if (Descriptor.isDigest(reference) && !digest.equals(reference)) {
        throw new DigestMismatchException(what + " manifest", reference, digest);
      }
      if (m.digestHeader().isPresent()
          && Descriptor.isDigest(m.digestHeader().get())
          && !m.digestHeader().get().equals(digest)) {
        throw new DigestMismatchException(what + " manifest", m.digestHeader().get(), digest);
      }
      Manifests.Parsed parsed = Manifests.parse(m.bytes(), what + " manifest");
      if (parsed instanceof Manifests.Index index) {
        reference = Manifests.pickLinuxAmd64(index, what).descriptor().digest();
        continue;
      }
      Manifests.Image image = (Manifests.Image) parsed;
      byte[] config =
          Blobs.readVerified(
              client.blob(image.config().digest()), image.config(), what + " config");
      return new ResolvedImage(
          digest, ImageConfigs.parse(config, what, image.layers().size()), image.layers());
    }
    throw new NotAnImageException(what + ": an index inside an index inside an index");
  }

  @Override
  public java.util.Optional<String> pinnedDigest() {
    return ref.digest();
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    if (blob.size() == 0) {
      return new ByteArrayInputStream(new byte[0]);
    }
    return client.blob(blob.digest());
  }
}
