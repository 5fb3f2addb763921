package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import dev.thaw.node.snapshot.ColdStart;

/**
 * What the agent tells its prefetcher ({@code --prefetch predicted}, {@link Prefetcher}), or nobody
 * ({@link #OFF}).
 */
interface Prefetches extends AutoCloseable {
  /** No prefetch: every call does nothing. */
  Prefetches OFF =
      new Prefetches() {
        @Override
        public void arrived(Revision revision) {}

        @Override
        public void coldStart(Revision revision, ColdStart.Source source) {}

        @Override
        public void forget(Revision revision) {}

        @Override
        public PrefetchCounts counts() {
          return new PrefetchCounts(0, 0, 0);
        }

        @Override
        public void close() {}
      };

  /** An invocation of {@code revision} arrived on this node. */
  void arrived(Revision revision);

  /** A cold start of {@code revision} was served from {@code source}. */
  void coldStart(Revision revision, ColdStart.Source source);

  /** {@code revision} was undeployed. */
  void forget(Revision revision);

  /** Prefetches made, used and wasted so far. */
  PrefetchCounts counts();

  /** Stops the scheduler; a fetch in progress is cut off and leaves nothing in the cache. */
  @Override
  void close();
}
