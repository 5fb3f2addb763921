package dev.thaw.node.peer;

import dev.thaw.core.function.Revision;
import dev.thaw.http.BearerToken;
import dev.thaw.http.HttpAnswer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The peers of a node on one machine, given by their URLs ({@code --peer NAME=URL}), and what each
 * said it holds ({@code GET /peer/snapshots} with the peer token). {@link #holding} answers from
 * memory and never waits on the network: a peer's answer older than {@link #TTL} is asked for again
 * in the background (one request in flight per peer, cut at {@link #TIMEOUT}), and the old answer
 * stands until the new one comes. A peer that does not answer, or answers with anything but its
 * list, holds nothing until it answers. The first answers are asked for when the directory is made.
 */
public final class StaticPeerDirectory implements PeerDirectory {
  /** How long a peer's answer stands before it is asked again. */
  public static final Duration TTL = Duration.ofMillis(1500);

  /** How long a peer gets to answer. */
  public static final Duration TIMEOUT = Duration.ofMillis(500);

  private final List<PeerEndpoint> peers;
  private final BearerToken token;
  private final HttpClient http;
  private final LongSupplier clock;
  private final Duration timeout;
  private final Map<PeerEndpoint, Answer> answers = new ConcurrentHashMap<>();
  private final Map<PeerEndpoint, CompletableFuture<Void>> asking = new ConcurrentHashMap<>();

  /** What a peer said it holds, and when it was asked (nanos). */
  private record Answer(Set<String> revisions, long at) {}

  public StaticPeerDirectory(List<PeerEndpoint> peers, BearerToken token, HttpClient http) {
    this(peers, token, http, System::nanoTime, TIMEOUT);
  }

  StaticPeerDirectory(
      List<PeerEndpoint> peers,
      BearerToken token,
      HttpClient http,
      LongSupplier clock,
      Duration timeout) {
    this.peers = List.copyOf(peers);
    this.token = Objects.requireNonNull(token, "token");
    this.http = Objects.requireNonNull(http, "http");
    this.clock = clock;
    this.timeout = timeout;
    refreshStale();
  }

  /**
   * A peer as the agent's {@code --peer} flag names it: {@code NAME=URL}, the URL an absolute
   * {@code http} or {@code https} one (the base of the peer routes).
   *
   * @throws IllegalArgumentException when it is not so
   */
  public static PeerEndpoint parse(String flag) {
    int eq = flag.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("a peer is NAME=URL, not " + flag);
    }
    URI uri;
    try {
      uri = URI.create(flag.substring(eq + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("peer " + flag.substring(0, eq) + ": " + e.getMessage());
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "peer " + flag.substring(0, eq) + ": an http(s) URL with a host, not " + uri);
    }
    return new PeerEndpoint(flag.substring(0, eq), uri);
  }

  @Override
  public List<PeerEndpoint> holding(Revision revision) {
    refreshStale();
    List<PeerEndpoint> holding = new ArrayList<>();
    for (PeerEndpoint p : peers) {
      Answer a = answers.get(p);
      if (a != null && a.revisions().contains(revision.value())) {
        holding.add(p);
      }
    }
    return holding;
  }

  /**
   * Asks every peer whose answer is missing or older than {@link #TTL} (joining a request already
   * in flight).
   *
   * @return completes when those answers are in (or their peers were given up on)
   */
  public CompletableFuture<Void> refreshStale() {
    long now = clock.getAsLong();
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (PeerEndpoint p : peers) {
      Answer a = answers.get(p);
      if (a == null || now - a.at() > TTL.toNanos()) {
        pending.add(asked(p));
      }
    }
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
  }

  /** The request in flight to {@code peer}, made now when there is none. */
  private CompletableFuture<Void> asked(PeerEndpoint peer) {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> inFlight = asking.putIfAbsent(peer, mine);
    if (inFlight != null) {
      return inFlight;
    }
    ask(peer)
        .whenComplete(
            (revisions, e) -> {
              answers.put(peer, new Answer(revisions, clock.getAsLong()));
              asking.remove(peer, mine);
              mine.complete(null);
            });
    return mine;
  }

  /** Asks {@code peer} what it holds: nothing when it does not answer in time, or refuses. */
  private CompletableFuture<Set<String>> ask(PeerEndpoint peer) {
    HttpRequest request =
        HttpRequest.newBuilder(peer.uri().resolve("/peer/snapshots"))
            .timeout(timeout)
            .header("Authorization", token.authorization())
            .GET()
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(StaticPeerDirectory::revisions)
        .exceptionally(e -> Set.of()); // a dead or slow peer holds nothing, for now
  }

  private static Set<String> revisions(HttpResponse<byte[]> response) {
    if (response.statusCode() != 200) {
      return Set.of();
    }
    try {
      JsonNode list = HttpAnswer.JSON.readTree(response.body()).path("revisions");
      Set<String> revisions = new HashSet<>();
      list.forEach(r -> revisions.add(r.asString()));
      return revisions;
    } catch (JacksonException e) {
      return Set.of();
    }
  }
}
