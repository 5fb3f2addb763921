package dev.thaw.node.protocol;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Where and how an invocation ran, as the agent reports it beside the function's own answer. The
 * answer's body is the function's, so this travels in {@code X-Thaw-*} response headers; this class
 * is the only place that writes or reads them.
 *
 * @param node the node that served it
 * @param instance the instance that served it
 * @param coldStart how the instance was started, when this invocation started it (else it was warm)
 * @param latency from the agent receiving the request to the function's answer
 */
public record Served(
    String node, String instance, Optional<ColdStartReport> coldStart, Duration latency) {
  private static final String NODE = "X-Thaw-Node";
  private static final String INSTANCE = "X-Thaw-Instance";
  private static final String START = "X-Thaw-Start";
  private static final String SOURCE = "X-Thaw-Source";
  private static final String FETCH_MS = "X-Thaw-Fetch-Ms";
  private static final String STARTUP_MS = "X-Thaw-Startup-Ms";
  private static final String FALLBACK = "X-Thaw-Fallback";
  private static final String LATENCY_MS = "X-Thaw-Latency-Ms";

  public Served {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(coldStart, "coldStart");
    Objects.requireNonNull(latency, "latency");
  }

  /** Whether this invocation cold-started its instance. */
  public boolean cold() {
    return coldStart.isPresent();
  }

  /** {@code cold} or {@code warm}, as headers and reports say it. */
  public String start() {
    return cold() ? "cold" : "warm";
  }

  /** {@code local}, {@code remote} or {@code none} (a boot) for a cold start; "" when warm. */
  public String source() {
    return coldStart.map(c -> c.source().label()).orElse("");
  }

  /** Writes the headers ({@code header.accept(name, value)}). */
  public void writeTo(BiConsumer<String, String> header) {
    header.accept(NODE, node);
    header.accept(INSTANCE, instance);
    header.accept(START, start());
    coldStart.ifPresent(
        c -> {
          header.accept(SOURCE, c.source().label());
          header.accept(FETCH_MS, Long.toString(c.fetch().toMillis()));
          header.accept(STARTUP_MS, Long.toString(c.startup().toMillis()));
          // Why a snapshot path was abandoned for a boot: one line, printable ASCII only.
          c.fallback()
              .map(why -> why.lines().findFirst().orElse("").replaceAll("[^\\x20-\\x7e]", "?"))
              .ifPresent(why -> header.accept(FALLBACK, why));
        });
    header.accept(LATENCY_MS, Long.toString(latency.toMillis()));
  }

  /** The headers as a map, for an HTTP client's view of them. */
  public Map<String, String> headers() {
    Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    writeTo(out::put);
    return out;
  }

  /**
   * Reads what {@link #writeTo} wrote.
   *
   * @param header the first value of a header by name (case-insensitive), if present
   * @throws IllegalArgumentException when a header is missing or malformed
   */
  public static Served readFrom(Function<String, Optional<String>> header) {
    String start = required(header, START);
    Optional<ColdStartReport> cold =
        switch (start) {
          case "warm" -> Optional.empty();
          case "cold" ->
              Optional.of(
                  new ColdStartReport(
                      source(required(header, SOURCE)),
                      millis(header, FETCH_MS),
                      millis(header, STARTUP_MS),
                      header.apply(FALLBACK)));
          default ->
              throw new IllegalArgumentException(START + " is neither cold nor warm: " + start);
        };
    return new Served(
        required(header, NODE), required(header, INSTANCE), cold, millis(header, LATENCY_MS));
  }

  private static dev.thaw.node.snapshot.ColdStart.Source source(String label) {
    try {
      return dev.thaw.node.snapshot.ColdStart.Source.valueOf(label.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SOURCE + " is not local, remote or none: " + label, e);
    }
  }

  private static String required(Function<String, Optional<String>> header, String name) {
    return header
        .apply(name)
        .orElseThrow(() -> new IllegalArgumentException("the answer has no " + name + " header"));
  }

  private static Duration millis(Function<String, Optional<String>> header, String name) {
    String v = required(header, name);
    try {
      return Duration.ofMillis(Long.parseLong(v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not a number of milliseconds: " + v, e);
    }
  }
}
