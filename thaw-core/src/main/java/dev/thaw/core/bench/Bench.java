package dev.thaw.core.bench;

import java.util.Arrays;
import java.util.Optional;

/** The benches whose {@code --json} documents are {@link BenchResult}s. */
public enum Bench {
  VM("vm"),
  SNAPSHOTS("snapshots"),
  REMOTE("remote"),
  WARM("warm");

  private final String id;

  Bench(String id) {
    this.id = id;
  }

  /** The bench's subcommand, and its name in a document's {@code "bench"} field. */
  public String id() {
    return id;
  }

  /** How a person runs it, for messages: {@code thaw bench remote}. */
  public String command() {
    return "thaw bench " + id;
  }

  public static Optional<Bench> byId(String id) {
    return Arrays.stream(values()).filter(b -> b.id.equals(id)).findFirst();
  }
}
