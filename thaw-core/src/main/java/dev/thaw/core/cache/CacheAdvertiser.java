package dev.thaw.core.cache;

import java.util.Set;

/**
 * Announces which revisions a node's cache holds, so placement can send cold starts there. Each
 * call carries the whole set (desired state), never a delta; implementations may coalesce bursts
 * and must not block the caller on a slow or absent backend.
 */
public interface CacheAdvertiser {
  void advertise(Set<String> revisions);

  /** Announces nothing: for nodes nobody places work on. */
  static CacheAdvertiser none() {
    return revisions -> {};
  }
}
