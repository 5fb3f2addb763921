package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The SHA-256 of a revision's manifest as storage holds it ({@link SnapshotManifestCodec#write}),
 * handed to a restore by a party the node trusts as it trusts storage: the gateway, which keeps the
 * digest the node that made and uploaded the snapshot reported. A restore given one checks a peer's
 * manifest against it instead of waiting for storage's record of it ({@code
 * <revision>/_manifest.sha256}); it never comes from the peer whose manifest it checks.
 *
 * @param sha256 64 lower-case hex digits
 */
public record ManifestDigest(String sha256) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  public ManifestDigest {
    Objects.requireNonNull(sha256, "sha256");
    if (!HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException(
          "a manifest digest is a SHA-256: 64 lower-case hex digits, not " + sha256);
    }
  }

  /** The digest of {@code manifest} as an upload stores it. */
  public static ManifestDigest of(SnapshotManifest manifest) {
    byte[] json = SnapshotManifestCodec.write(manifest).getBytes(StandardCharsets.UTF_8);
    return new ManifestDigest(Digests.sha256(json, 0, json.length));
  }

  /** Whether {@code manifest}'s bytes have this digest. */
  public boolean matches(byte[] manifest) {
    return Digests.sha256(manifest, 0, manifest.length).equals(sha256);
  }
}
