package dev.thaw.core.snapshot;

import dev.thaw.core.io.Digests;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A view of a {@link SnapshotStore} that keeps the snapshots of one <em>variant</em> — one guest
 * image on one VMM release line — apart from every other: each revision is stored as {@code
 * <revision>@<variant>}. Nodes that boot another guest image, or run a VMM that could not restore
 * these snapshots, use another variant, so during a rolling upgrade old and new nodes each find,
 * restore and publish their own snapshots and never fetch or overwrite each other's. Chunks stay
 * shared by all variants (they are content-addressed), so what two variants have in common is
 * stored once.
 */
public final class VariantSnapshotStore implements SnapshotStore {
  /** Separates a revision from its variant in a stored name; revisions cannot contain it. */
  public static final char SEPARATOR = '@';

  private final SnapshotStore store;
  private final String variant;

  public VariantSnapshotStore(SnapshotStore store, String variant) {
    this.store = Objects.requireNonNull(store);
    if (!variant.matches("[0-9a-f]{12}")) {
      throw new IllegalArgumentException("a variant is 12 hex digits: " + variant);
    }
    this.variant = variant;
  }

  /**
   * The variant of snapshots made by {@code guest} on {@code vmm}: the first 12 hex digits of a
   * SHA-256 over the guest image's digests and what {@link VmmIdentity#canRestore} compares (kind,
   * release line, accelerator, machine), so VMM patch releases share a variant.
   */
  public static String variantOf(SnapshotManifest.Guest guest, VmmIdentity vmm) {
    String key =
        String.join(
            "\n",
            guest.kernelSha256(),
            guest.initrdSha256(),
            vmm.kind(),
            vmm.releaseLine(),
            vmm.accelerator(),
            vmm.machine());
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    return Digests.sha256(bytes, 0, bytes.length).substring(0, 12);
  }

  /** The view of {@code store} for snapshots made by {@code guest} on {@code vmm}. */
  public static VariantSnapshotStore of(
      SnapshotStore store, SnapshotManifest.Guest guest, VmmIdentity vmm) {
    return new VariantSnapshotStore(store, variantOf(guest, vmm));
  }

  /**
   * Whether {@code stored}, a name a store lists, is {@code revision}'s snapshot: in any variant,
   * or stored without one.
   */
  public static boolean isOf(String stored, String revision) {
    return stored.equals(revision)
        || (stored.length() > revision.length()
            && stored.startsWith(revision)
            && stored.charAt(revision.length()) == SEPARATOR);
  }

  /** The stored name of {@code revision}'s snapshot in this variant. */
  public String name(String revision) {
    return revision + SEPARATOR + variant;
  }

  @Override
  public Optional<String> manifest(String revision) throws IOException {
    return store.manifest(name(revision));
  }

  @Override
  public Optional<String> manifestSha256(String revision) throws IOException {
    return store.manifestSha256(name(revision));
  }

  @Override
  public void download(String revision, SnapshotFile file, Path target) throws IOException {
    store.download(name(revision), file, target);
  }

  @Override
  public FetchedChunk chunk(String sha256, int length) throws IOException {
    return store.chunk(sha256, length);
  }

  @Override
  public Optional<PackIndex> packIndex(String revision) throws IOException {
    return store.packIndex(name(revision));
  }

  @Override
  public Optional<FetchedPages> workingPages(String revision, long maxLength) throws IOException {
    return store.workingPages(name(revision), maxLength);
  }

  @Override
  public List<FetchedChunk> packChunks(
      String revision, List<PackIndex.Entry> run, List<Integer> lengths) throws IOException {
    return store.packChunks(name(revision), run, lengths);
  }

  @Override
  public void upload(String revision, SnapshotManifest manifest, Path dir) throws IOException {
    store.upload(name(revision), manifest, dir);
  }

  @Override
  public void markUsed(String revision) throws IOException {
    store.markUsed(name(revision));
  }

  @Override
  public void markUnusable(String revision, Instant createdAt) throws IOException {
    store.markUnusable(name(revision), createdAt);
  }

  @Override
  public Optional<Instant> unusable(String revision) throws IOException {
    return store.unusable(name(revision));
  }

  /** Revisions with a snapshot of this variant. */
  @Override
  public List<String> revisions() throws IOException {
    String suffix = SEPARATOR + variant;
    return store.revisions().stream()
        .filter(n -> n.endsWith(suffix))
        .map(n -> n.substring(0, n.length() - suffix.length()))
        .toList();
  }

  @Override
  public void delete(String revision) throws IOException {
    store.delete(name(revision));
  }

  @Override
  public String describe() {
    return store.describe() + " (variant " + variant + ")";
  }
}
