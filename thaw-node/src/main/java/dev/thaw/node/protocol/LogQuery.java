package dev.thaw.node.protocol;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which of a function's lines to answer: those after a time, those since a time, the last few.
 *
 * @param after only lines later than this (nanoseconds since the epoch; exclusive), 0 for all: how
 *     a follower asks for what is new
 * @param since only lines at or after this (nanoseconds since the epoch), 0 for all
 * @param tail at most this many, the last ones; {@value #MAX_LINES} at most (and when not given
 *     without {@code after}: the last {@value #MAX_LINES}); with {@code after} and no tail, the
 *     first {@value #MAX_LINES} after it, so a follower pages forward
 */
public record LogQuery(long after, long since, Optional<Integer> tail) {
  /** Most lines one answer holds. */
  public static final int MAX_LINES = 10_000;

  public LogQuery {
    if (after < 0 || since < 0) {
      throw new IllegalArgumentException("after and since are times in ns, not negative");
    }
    if (tail.isPresent() && (tail.get() < 0 || tail.get() > MAX_LINES)) {
      throw new IllegalArgumentException("tail is within 0.." + MAX_LINES + ": " + tail.get());
    }
  }

  public static final LogQuery ALL = new LogQuery(0, 0, Optional.empty());

  /** The query of a request's parameters {@code after}, {@code since}, {@code tail}. */
  public static LogQuery from(Function<String, Optional<String>> param) {
    try {
      return new LogQuery(
          param.apply("after").map(Long::parseLong).orElse(0L),
          param.apply("since").map(Long::parseLong).orElse(0L),
          param.apply("tail").map(Integer::parseInt));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("after, since and tail are numbers: " + e.getMessage());
    }
  }

  /** This query as request parameters. */
  public Map<String, String> params() {
    Map<String, String> p = new java.util.LinkedHashMap<>();
    if (after > 0) {
      p.put("after", Long.toString(after));
    }
    if (since > 0) {
      p.put("since", Long.toString(since));
    }
    tail.ifPresent(t -> p.put("tail", Integer.toString(t)));
    return p;
  }

  /** This query asking only for lines later than {@code after}. */
  public LogQuery after(long after) {
    return new LogQuery(after, since, tail);
  }

  /** Whether a line at {@code time} is asked for (before the tail is cut). */
  public boolean admits(long time) {
    return time > after && time >= since;
  }
}
