package dev.thaw.cli;

import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.CachedChunks;
import dev.thaw.node.peer.PeerAddress;
import dev.thaw.node.peer.PeerDirectory;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.PeerServer;
import dev.thaw.node.peer.PeerTokens;
import dev.thaw.node.peer.StaticPeerDirectory;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.PeerHttp;
import dev.thaw.node.snapshot.fill.PeerReads;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * The agent's peer edge ({@link PeerServer}): the peer token that opens it, where it listens and
 * how many chunks it serves at once. Without a peer token there is no peer edge.
 */
final class PeerOptions {
  @Option(
      names = "--peer-token-file",
      paramLabel = "FILE",
      description =
          "The peer token's file: one token, or two lines while rotating (the first is sent, both"
              + " are accepted) (default: $THAW_PEER_TOKEN; without either, no chunk is served"
              + " to peers).")
  Path tokenFile;

  @Option(
      names = "--peer-address",
      paramLabel = "HOST[:PORT]",
      defaultValue = "${env:THAW_PEER_ADDRESS:-127.0.0.1:8701}",
      description =
          "Where the peer edge listens, and the address peers are given; the port is 8701 when"
              + " only a host is given, 0 for any (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(
      names = "--peer-uploads",
      paramLabel = "N",
      defaultValue = "${env:THAW_PEER_UPLOADS:-4}",
      description =
          "Chunks served to peers at once; beyond that a peer is told to read storage (503)"
              + " (default: ${DEFAULT-VALUE}).")
  int uploads;

  @Option(
      names = "--peer",
      paramLabel = "NAME=URL",
      description =
          "Another agent whose cached chunks remote restores read before storage, named and given"
              + " by its peer edge's URL (repeatable; needs the peer token).")
  List<String> peers = new ArrayList<>();

  /** The environment read; a field so tests can give their own. */
  Map<String, String> env = System.getenv();

  /**
   * The ports no function's egress may reach: the peer port of this agent, which is every agent's
   * on Kubernetes (one DaemonSet), so a guest cannot reach another node's peer edge. None when it
   * is chosen at start (0): then the peer edge is on this machine's loopback, which no guest
   * reaches anyway.
   */
  Set<Integer> refusedEgressPorts() {
    int port = PeerAddress.parse(address).port();
    return port == 0 ? Set.of() : Set.of(port);
  }

  /** The peer tokens from {@code --peer-token-file} or {@value PeerTokens#ENV}, if any. */
  Optional<PeerTokens> tokens() throws IOException {
    if (tokenFile != null) {
      return Optional.of(PeerTokens.read(tokenFile));
    }
    String value = env.get(PeerTokens.ENV);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(PeerTokens.parse(value));
    } catch (IllegalArgumentException e) {
      throw new IOException(PeerTokens.ENV + " holds no valid peer token: " + e.getMessage(), e);
    }
  }

  /**
   * How this agent's remote restores read from the {@code --peer} agents, or, without any, from the
   * peers {@code discovered} names (on Kubernetes, the {@code NodeSnapshotCache} objects): from
   * none without a peer token, or with neither. {@code discovered} is asked only with a peer token
   * and no {@code --peer}.
   *
   * @throws IllegalArgumentException when a {@code --peer} is malformed
   */
  PeerReads reads(Supplier<Optional<PeerDirectory>> discovered) throws IOException {
    Optional<PeerTokens> tokens = tokens();
    if (tokens.isEmpty()) {
      return PeerReads.none();
    }
    BearerToken token = tokens.get().current();
    HttpClient http = PeerHttp.client();
    PeerDirectory directory;
    if (!peers.isEmpty()) {
      List<PeerEndpoint> endpoints = peers.stream().map(StaticPeerDirectory::parse).toList();
      directory = new StaticPeerDirectory(endpoints, token, http);
    } else {
      Optional<PeerDirectory> found = discovered.get();
      if (found.isEmpty()) {
        return PeerReads.none();
      }
      directory = found.get();
    }
    return PeerReads.builder(directory, token).http(http).build();
  }

  /** Like {@link #reads(Supplier)} with no peers but the {@code --peer} ones. */
  PeerReads reads() throws IOException {
    return reads(Optional::empty);
  }

  /**
   * Starts the peer edge of node {@code name} over {@code cache} when a peer token is configured.
   *
   * @throws IllegalArgumentException when an option is malformed
   */
  Optional<PeerServer> start(String name, LocalSnapshotCache cache, MeterRegistry meters)
      throws IOException {
    Optional<PeerTokens> tokens = tokens();
    if (tokens.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        PeerServer.builder(name, tokens.get(), new CachedChunks(cache, meters))
            .address(address)
            .maxUploads(uploads)
            .meters(meters)
            .start());
  }
}
