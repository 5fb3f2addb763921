package dev.thaw.image;

import java.util.List;
import java.util.Objects;

/**
 * An image found and checked: its identity, what to run, and its layers (bottom first) still to be
 * fetched.
 *
 * @param digest the manifest digest (for a {@code docker save} tarball, the config digest)
 * @param config what to run
 * @param layers the layer blobs, bottom first
 */
public record ResolvedImage(String digest, ImageConfig config, List<Descriptor> layers) {
  public ResolvedImage {
    Descriptor.requireDigest(digest);
    Objects.requireNonNull(config, "config");
    layers = List.copyOf(layers);
  }
}
