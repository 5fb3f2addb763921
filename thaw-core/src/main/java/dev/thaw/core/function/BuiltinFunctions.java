package dev.thaw.core.function;

import java.util.List;
import java.util.Optional;

/** The functions every Thaw guest image can serve. */
public final class BuiltinFunctions {
  /** Answers a fixed greeting: the cheapest possible function. */
  public static final FunctionSpec HELLO = new FunctionSpec("hello", 256, 1, "hello", 0);

  /**
   * Computes 32 MiB of data at start and keeps it, with its checksum and an invocation counter, in
   * guest memory: a restored clone visibly carries the state of the instance it came from.
   */
  public static final FunctionSpec STATEFUL = new FunctionSpec("stateful", 256, 1, "stateful", 32);

  private static final List<FunctionSpec> ALL = List.of(HELLO, STATEFUL);

  private BuiltinFunctions() {}

  public static List<FunctionSpec> all() {
    return ALL;
  }

  public static Optional<FunctionSpec> byId(String id) {
    return ALL.stream().filter(f -> f.id().equals(id)).findFirst();
  }
}
