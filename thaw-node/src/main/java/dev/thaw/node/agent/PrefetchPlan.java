package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import dev.thaw.core.lifecycle.PrefetchPredictor;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * When this node fetches each revision's snapshot ahead of its next cold start, and whether it
 * still should when the time comes. Pure: times are given in milliseconds of the caller's clock.
 *
 * <p>After each arrival of a revision here, its {@link PrefetchPredictor} (the simulator's, fed the
 * gaps between this node's arrivals of it) says when the next is due; the fetch is due that long
 * after the arrival less {@code leadMillis}, the time a fetch is measured to take. Only the latest
 * arrival's prediction fires: each arrival supersedes the one before. When it fires, the fetch is
 * made only if the revision is still deployed, no instance of it is idle here and this node's cache
 * does not hold it. It may make room only of entries idle for at least as long as the time from the
 * fetch until the next arrival has most likely come (the end of the median gap's minute): by the
 * recency that least-recently-used eviction goes by, an entry used more recently than that is
 * likely to be used again before the predicted arrival, and stays.
 */
final class PrefetchPlan {
  /**
   * A prediction: fetch {@code revision} at {@code atMillis}, making room only of entries idle
   * {@code evictIdle} or longer.
   */
  record Due(Revision revision, long atMillis, Duration evictIdle, long generation) {}

  /** What to do when a prediction fires. */
  sealed interface Fire permits Fetch, Skip {}

  /** Fetch now, making room only of entries idle for {@code evictIdle} or longer. */
  record Fetch(Revision revision, Duration evictIdle) implements Fire {}

  /** Do nothing, for {@code why}. */
  record Skip(String why) implements Fire {}

  /** What the node holds of a revision when its prediction fires. */
  record Here(boolean deployed, boolean idleInstance, boolean cached) {}

  private static final class Track {
    final PrefetchPredictor predictor;
    long lastArrival = -1;
    long generation;

    Track(long minuteMillis) {
      predictor = new PrefetchPredictor(minuteMillis);
    }
  }

  private final long minuteMillis;
  private final Map<Revision, Track> tracks = new HashMap<>();

  /** A plan whose predictors count in minutes of {@code minute} (60 s but for sped-up replays). */
  PrefetchPlan(Duration minute) {
    if (minute.toMillis() < 1) {
      throw new IllegalArgumentException("a prefetch minute lasts at least 1 ms: " + minute);
    }
    this.minuteMillis = minute.toMillis();
  }

  /**
   * An invocation of {@code revision} arrived here at {@code nowMillis}.
   *
   * @param leadMillis how long a fetch of its snapshot is expected to take
   * @return when to fetch its snapshot ahead of the next, or empty (no useful prediction yet)
   */
  synchronized Optional<Due> arrived(Revision revision, long nowMillis, long leadMillis) {
    Track t = tracks.computeIfAbsent(revision, r -> new Track(minuteMillis));
    long last = t.lastArrival;
    t.lastArrival = nowMillis;
    t.generation++;
    if (last < 0) {
      return Optional.empty();
    }
    t.predictor.observeGap(nowMillis - last);
    long after = t.predictor.prefetchAfterMillis(leadMillis);
    if (after < 0) {
      return Optional.empty();
    }
    long evictIdle = Math.max(0, t.predictor.likelyByMillis() - after);
    return Optional.of(
        new Due(revision, nowMillis + after, Duration.ofMillis(evictIdle), t.generation));
  }

  /** What to do as {@code due} fires, the node holding {@code here} of its revision. */
  synchronized Fire fire(Due due, Here here) {
    Track t = tracks.get(due.revision());
    if (t == null || t.generation != due.generation()) {
      return new Skip("superseded by a later arrival");
    }
    if (!here.deployed()) {
      return new Skip("not deployed");
    }
    if (here.idleInstance()) {
      return new Skip("an instance is idle");
    }
    if (here.cached()) {
      return new Skip("cached");
    }
    return new Fetch(due.revision(), due.evictIdle());
  }

  /** Forgets {@code revision} (undeployed): its pending prediction will not fetch. */
  synchronized void forget(Revision revision) {
    tracks.remove(revision);
  }
}
