package dev.thaw.node.snapshot.fill;

import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.PeerDirectory;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.StartDecoder;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a node's fills read chunks from peers: which peers hold a revision ({@link PeerDirectory}),
 * the peer token, how many of them one fill reads from ({@link Builder#peers}, spread over them),
 * how many requests each gets at once, and what a storage read costs ({@link StorageCost}), which
 * bounds how long a peer may take. One per node; {@link #none()} reads from no peer.
 */
public final class PeerReads {
  /** The least a peer is given for a chunk, however quick storage is. */
  public static final Duration FLOOR = Duration.ofMillis(100);

  /** What a start from a peer is given: as long as storage would take over this many bytes. */
  static final long START_BYTES = 8L << 20;

  private static final PeerReads NONE = new PeerReads(new Builder(PeerDirectory.none(), null));

  private final PeerDirectory directory;
  private final Optional<BearerToken> token;
  private final HttpClient http;
  private final int peers;
  private final int perPeer;
  private final boolean workingSetFromPeers;
  private final boolean startFromPeers;
  private final StorageCost cost;

  private PeerReads(Builder b) {
    this.directory = b.directory;
    this.token = Optional.ofNullable(b.token);
    this.http = b.http;
    this.peers = b.peers;
    this.perPeer = b.perPeer;
    this.workingSetFromPeers = b.workingSetFromPeers;
    this.startFromPeers = b.startFromPeers;
    this.cost = new StorageCost(b.floor);
  }

  /** No peers: chunks come from the node's cache and storage. */
  public static PeerReads none() {
    return NONE;
  }

  /** Reads from the peers {@code directory} names, with {@code token}. */
  public static Builder builder(PeerDirectory directory, BearerToken token) {
    return new Builder(directory, Objects.requireNonNull(token, "token"));
  }

  /** What a storage read costs, as measured by this node's fills. */
  StorageCost cost() {
    return cost;
  }

  /**
   * Whether a fill whose revision a peer holds takes the working set as chunks from the peers
   * rather than as the working pages from storage.
   */
  boolean workingSetFromPeers() {
    return workingSetFromPeers;
  }

  /**
   * A source of {@code manifest}'s chunks on up to {@link Builder#peers} of the peers that hold its
   * revision (chosen at random, so that readers spread over holders); empty when none does.
   */
  Optional<PeerChunkSource> source(SnapshotManifest manifest, TransferTally tally) {
    if (token.isEmpty()) {
      return Optional.empty();
    }
    List<PeerEndpoint> holding =
        new ArrayList<>(directory.holding(Revision.of(manifest.revision())));
    if (holding.isEmpty()) {
      return Optional.empty();
    }
    Collections.shuffle(holding);
    List<PeerEndpoint> chosen = holding.subList(0, Math.min(peers, holding.size()));
    return Optional.of(
        new PeerChunkSource(chosen, token.get(), http, perPeer, manifest.chunks(), tally, cost));
  }

  /**
   * Asks one of the peers holding {@code revision} (chosen at random) for the start of its lazy
   * restore ({@link PeerStart}), unchecked; empty when none is asked (no peer token, no peer holds
   * it, or starts are not taken from peers). The request is given what storage would take over
   * {@link #START_BYTES}, at least {@link #FLOOR}.
   *
   * @param maxPages the most bytes of working pages taken (the memory file's size)
   */
  public Optional<CompletableFuture<Optional<StartDecoder.Decoded>>> askStart(
      String revision, long maxPages) {
    if (token.isEmpty() || !startFromPeers || workingSetFromPeers) {
      return Optional.empty();
    }
    List<PeerEndpoint> holding = directory.holding(Revision.of(revision));
    if (holding.isEmpty()) {
      return Optional.empty();
    }
    PeerEndpoint peer = holding.get(ThreadLocalRandom.current().nextInt(holding.size()));
    return Optional.of(
        PeerStart.ask(http, peer, token.get(), revision, maxPages, cost.deadline(START_BYTES)));
  }

  /** Builder: 2 peers per fill, 4 requests at once to each, a floor of {@link #FLOOR}. */
  public static final class Builder {
    private final PeerDirectory directory;
    private final BearerToken token;
    private HttpClient http;
    private int peers = 2;
    private int perPeer = 4;
    private Duration floor = FLOOR;
    private boolean workingSetFromPeers;
    private boolean startFromPeers = true;

    private Builder(PeerDirectory directory, BearerToken token) {
      this.directory = Objects.requireNonNull(directory, "directory");
      this.token = token;
    }

    /** The client requests go through (one per node, shared with the directory, say). */
    public Builder http(HttpClient http) {
      this.http = Objects.requireNonNull(http);
      return this;
    }

    /** How many of the peers holding a revision one fill reads from. */
    public Builder peers(int peers) {
      if (peers < 1) {
        throw new IllegalArgumentException("a fill reads from at least one peer: " + peers);
      }
      this.peers = peers;
      return this;
    }

    /** Requests in flight to one peer at once (the serving side bounds its uploads too). */
    public Builder perPeer(int perPeer) {
      if (perPeer < 1) {
        throw new IllegalArgumentException("at least one request per peer: " + perPeer);
      }
      this.perPeer = perPeer;
      return this;
    }

    /** The least a peer is given for a chunk, however quick storage is. */
    public Builder floor(Duration floor) {
      if (floor.isNegative() || floor.isZero()) {
        throw new IllegalArgumentException("the floor must be positive: " + floor);
      }
      this.floor = floor;
      return this;
    }

    /**
     * Whether the working set comes as chunks from a peer holding the revision, or as the working
     * pages from storage, as without peers (the default: one request for a few MiB beat hundreds of
     * chunk requests to a peer in {@code thaw bench remote}, even behind a 20 ms link). Where the
     * pages cannot be had, their chunks come from the peers either way.
     */
    public Builder workingSetFromPeers(boolean fromPeers) {
      this.workingSetFromPeers = fromPeers;
      return this;
    }

    /**
     * Whether a lazy restore asks a peer holding the revision for its start (manifest, working
     * pages, device state) in one answer before storage (the default), or reads them from storage
     * and only chunks from peers. Not with {@link #workingSetFromPeers}.
     */
    public Builder startFromPeers(boolean fromPeers) {
      this.startFromPeers = fromPeers;
      return this;
    }

    public PeerReads build() {
      if (http == null) {
        http = PeerHttp.client();
      }
      return new PeerReads(this);
    }
  }
}
