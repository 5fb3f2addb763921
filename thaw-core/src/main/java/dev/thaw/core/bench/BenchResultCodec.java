package dev.thaw.core.bench;

import dev.thaw.core.stats.LatencySummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes and reads {@link BenchResult}s: the {@code --json} documents of {@code thaw bench vm},
 * {@code snapshots}, {@code remote} and {@code warm}. A document is one JSON object:
 *
 * <ul>
 *   <li>{@code "bench"}: the bench's {@link Bench#id()}; documents written before it was recorded
 *       are recognised by their rows' layout;
 *   <li>{@code "cores"}: the machine's cores (absent: not recorded);
 *   <li>the facts of the run, each under its own name;
 *   <li>the rows, laid out as each bench has always written them: {@code vm} as {@code
 *       "coldBootMs"} and {@code "restoreMs"}; {@code snapshots} as {@code "results"}, each row's
 *       label under {@code "configuration"}; {@code remote} as {@code "results"}, the label under
 *       {@code "method"}; {@code warm} as {@code "latencyMs"}, an object of latencies by label. A
 *       row's latencies are a {@link LatencySummary} object; its other figures follow them under
 *       their names.
 * </ul>
 */
public final class BenchResultCodec {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The JSON field of each {@code thaw bench vm} row. */
  private static final Map<String, String> VM_FIELDS =
      Map.of(ModelRow.VM_COLD_BOOT.label(), "coldBootMs", ModelRow.VM_RESTORE.label(), "restoreMs");

  private static final List<String> SUMMARY_FIELDS =
      List.of(
          "count", "mean", "stddev", "min", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "max");

  private BenchResultCodec() {}

  /**
   * The document, pretty-printed.
   *
   * @throws IllegalArgumentException when it lacks a row the simulator's model reads, or has a row
   *     its bench's layout cannot hold
   */
  public static String write(BenchResult result) {
    List<ModelRow> missing = result.missingModelRows();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          result.bench().command()
              + " has no row '"
              + missing.get(0).label()
              + "', which thaw simulate reads as the "
              + missing.get(0).input());
    }
    ObjectNode doc = JSON.createObjectNode();
    doc.put("bench", result.bench().id());
    doc.put("cores", result.cores());
    result.facts().forEach((name, value) -> doc.set(name, JSON.valueToTree(value)));
    switch (result.bench()) {
      case VM -> {
        for (BenchRow r : result.rows()) {
          String field = VM_FIELDS.get(r.label());
          if (field == null || !r.figures().isEmpty()) {
            throw new IllegalArgumentException(
                "thaw bench vm has rows 'cold boot' and 'restore from snapshot' alone, not '"
                    + r.label()
                    + "' or figures besides latencies");
          }
          doc.set(field, JSON.valueToTree(r.latencyMs()));
        }
      }
      case SNAPSHOTS, REMOTE -> {
        var results = doc.putArray("results");
        for (BenchRow r : result.rows()) {
          ObjectNode row = results.addObject();
          row.put(labelField(result.bench()), r.label());
          row.set("latencyMs", JSON.valueToTree(r.latencyMs()));
          r.figures().forEach((name, value) -> row.set(name, JSON.valueToTree(value)));
        }
      }
      case WARM -> {
        ObjectNode latencies = doc.putObject("latencyMs");
        for (BenchRow r : result.rows()) {
          if (!r.figures().isEmpty()) {
            throw new IllegalArgumentException(
                "thaw bench warm's rows have latencies alone, not '" + r.label() + "'");
          }
          latencies.set(r.label(), JSON.valueToTree(r.latencyMs()));
        }
      }
    }
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc);
  }

  /**
   * Reads a document.
   *
   * @throws MalformedBenchResultException when it is not JSON, not a document of one of the four
   *     benches, or a row or figure has the wrong shape
   */
  public static BenchResult read(String json) {
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (JacksonException e) {
      throw new MalformedBenchResultException("not JSON (" + e.getOriginalMessage() + ")", e);
    }
    return read(tree);
  }

  /** Reads a document already parsed (one of several in a file). */
  public static BenchResult read(JsonNode doc) {
    if (doc == null || !doc.isObject()) {
      throw malformed("a bench result is a JSON object");
    }
    Bench bench = benchOf(doc);
    JsonNode cores = doc.path("cores");
    if (!cores.isMissingNode() && !cores.isInt()) {
      throw malformed("cores is not a whole number");
    }
    Set<String> rowFields =
        switch (bench) {
          case VM -> Set.copyOf(VM_FIELDS.values());
          case SNAPSHOTS, REMOTE -> Set.of("results");
          case WARM -> Set.of("latencyMs");
        };
    Map<String, Object> facts = new LinkedHashMap<>();
    for (var e : doc.properties()) {
      if (!e.getKey().equals("bench")
          && !e.getKey().equals("cores")
          && !rowFields.contains(e.getKey())) {
        facts.put(e.getKey(), JSON.treeToValue(e.getValue(), Object.class));
      }
    }
    List<BenchRow> rows =
        switch (bench) {
          case VM ->
              VM_FIELDS.entrySet().stream()
                  .filter(f -> doc.has(f.getValue()))
                  .sorted(Map.Entry.comparingByValue())
                  .map(
                      f ->
                          BenchRow.of(
                              f.getKey(), summary(doc.get(f.getValue()), "'" + f.getValue() + "'")))
                  .toList();
          case SNAPSHOTS, REMOTE -> resultRows(doc.get("results"), labelField(bench));
          case WARM ->
              doc.get("latencyMs").properties().stream()
                  .map(e -> BenchRow.of(e.getKey(), summary(e.getValue(), "'" + e.getKey() + "'")))
                  .toList();
        };
    try {
      return new BenchResult(bench, cores.asInt(0), facts, rows);
    } catch (IllegalArgumentException e) {
      throw new MalformedBenchResultException(e.getMessage(), e);
    }
  }

  private static Bench benchOf(JsonNode doc) {
    JsonNode named = doc.get("bench");
    if (named != null) {
      return Bench.byId(named.asString(""))
          .orElseThrow(() -> malformed("no bench is called " + named));
    }
    if (VM_FIELDS.values().stream().anyMatch(doc::has)) {
      return Bench.VM;
    }
    JsonNode results = doc.path("results");
    if (results.isArray() && !results.isEmpty()) {
      if (results.get(0).has(labelField(Bench.SNAPSHOTS))) {
        return Bench.SNAPSHOTS;
      }
      if (results.get(0).has(labelField(Bench.REMOTE))) {
        return Bench.REMOTE;
      }
    }
    if (doc.path("latencyMs").isObject()) {
      return Bench.WARM;
    }
    throw malformed("not the JSON of thaw bench vm, snapshots, remote or warm");
  }

  private static String labelField(Bench bench) {
    return bench == Bench.SNAPSHOTS ? "configuration" : "method";
  }

  private static List<BenchRow> resultRows(JsonNode results, String labelField) {
    if (results == null || !results.isArray()) {
      throw malformed("results is not an array");
    }
    return results.values().stream()
        .map(
            r -> {
              JsonNode label = r.path(labelField);
              if (!label.isString()) {
                throw malformed("a row of results has no " + labelField);
              }
              Map<String, Object> figures = new LinkedHashMap<>();
              for (var e : r.properties()) {
                if (!e.getKey().equals(labelField) && !e.getKey().equals("latencyMs")) {
                  if (!e.getValue().isNumber() && !e.getValue().isObject()) {
                    throw malformed(
                        "'" + label.asString() + "' " + e.getKey() + " is not a number");
                  }
                  figures.put(e.getKey(), JSON.treeToValue(e.getValue(), Object.class));
                }
              }
              String where = "'" + label.asString() + "'";
              return new BenchRow(label.asString(), summary(r.path("latencyMs"), where), figures);
            })
        .toList();
  }

  /** A latency summary; percentiles it does not give are NaN. */
  private static LatencySummary summary(JsonNode s, String where) {
    if (!s.isObject()) {
      throw malformed(where + " latencies are not an object");
    }
    double[] v = new double[SUMMARY_FIELDS.size()];
    for (int i = 0; i < v.length; i++) {
      JsonNode f = s.path(SUMMARY_FIELDS.get(i));
      if (!f.isMissingNode() && !f.isNumber()) {
        throw malformed(where + " " + SUMMARY_FIELDS.get(i) + " is not a number");
      }
      v[i] = f.isNumber() ? f.asDouble() : i == 0 ? 0 : Double.NaN;
    }
    return new LatencySummary(
        (int) v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
  }

  private static MalformedBenchResultException malformed(String message) {
    return new MalformedBenchResultException(message, null);
  }
}
