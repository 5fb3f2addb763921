package dev.thaw.node.gateway;

import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.protocol.InvocationRecord;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recent invocations of each revision, as {@code GET /functions/NAME/invocations} answers: a
 * ring of the last {@link #PER_REVISION} per revision, newest first, in memory only. The number of
 * revisions kept is bounded too ({@link #REVISIONS}, the least recently invoked forgotten first),
 * so that calls to names nobody deployed cost nothing lasting.
 */
final class InvocationLog {
  /** Invocations kept per revision. */
  static final int PER_REVISION = 100;

  /** Revisions kept. */
  static final int REVISIONS = 1024;

  private final Map<String, Deque<InvocationRecord>> rings =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<InvocationRecord>> eldest) {
          return size() > REVISIONS;
        }
      };

  synchronized void add(Revision revision, InvocationRecord invocation) {
    Deque<InvocationRecord> ring = rings.computeIfAbsent(revision.value(), r -> new ArrayDeque<>());
    ring.addFirst(invocation);
    while (ring.size() > PER_REVISION) {
      ring.removeLast();
    }
  }

  /** {@code revision}'s kept invocations, newest first; empty when none. */
  synchronized List<InvocationRecord> recent(Revision revision) {
    Deque<InvocationRecord> ring = rings.get(revision.value());
    return ring == null ? List.of() : List.copyOf(new ArrayList<>(ring));
  }

  /** What to keep of an answered invocation that took {@code nanos} at the gateway. */
  static InvocationRecord served(long time, Gateway.Result r, long nanos) {
    Served s = r.served();
    ColdStartReport c = s.coldStart().orElse(null);
    return new InvocationRecord(
        time,
        InvocationRecord.kind(s),
        r.status(),
        s.node(),
        s.instance(),
        r.placement().toNanos() / 1e6,
        c == null ? 0 : c.fetch().toMillis(),
        c == null ? 0 : c.startup().toMillis(),
        s.latency().toMillis(),
        nanos / 1_000_000,
        c == null ? "" : c.fallback().orElse(""));
  }

  /** What to keep of an invocation refused with {@code e} after {@code nanos}. */
  static InvocationRecord failed(long time, Refused e, long nanos) {
    return new InvocationRecord(
        time,
        "failed",
        Refused.httpStatus(e.kind()),
        "",
        "",
        0,
        0,
        0,
        0,
        nanos / 1_000_000,
        String.valueOf(e.getMessage()));
  }

  /** Forgets {@code revision} (deleted). */
  synchronized void forget(Revision revision) {
    rings.remove(revision.value());
  }
}
