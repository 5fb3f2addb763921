package dev.thaw.sim;

import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.bench.MalformedBenchResultException;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.stats.LatencySummary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a start costs, in time and bytes, as this machine's benches measured it. Built from their
 * {@code --json} documents ({@link BenchResult}), later ones overriding earlier ones, by the rows
 * {@link ModelRow} names:
 *
 * <ul>
 *   <li>{@code thaw bench vm}: "cold boot" → boot, "restore from snapshot" → local restore;
 *   <li>{@code thaw bench snapshots}: "no snapshot" → boot, "local snapshot" → local restore,
 *       "remote, cached (fetch)" → remote restore;
 *   <li>{@code thaw bench remote}: "local restore" → local restore, "remote, chunks" → remote
 *       restore with its {@code bytesPerRestore} for a guest of {@code guestMemoryBytes};
 *   <li>{@code thaw bench warm}: "gateway, kept alive" median → warm start;
 *   <li>a document {@code {"model": {...}}} may set any field of this record by name;
 *   <li>any of them: {@code cores}, the cores of the machine that ran the bench (which the bench
 *       JSON records).
 * </ul>
 *
 * A bench's file lacking one of those rows is refused with the bench, the row and the file named: a
 * renamed row would otherwise leave an input at an earlier value unnoticed.
 *
 * <p>A remote restore of a function with {@code g} bytes of guest memory costs a local restore plus
 * the bench's difference between remote and local at the same percentile, scaled by {@code g ÷
 * benchGuestBytes}; it reads {@code remoteBytesPerRestore × g ÷ benchGuestBytes} bytes. A cache
 * entry takes {@code cacheBytesPerGuestByte × g} bytes (the memory file is the guest's RAM). A boot
 * does not depend on memory under TCG.
 *
 * @param boot time from request to first answer of a booted instance
 * @param localRestore the same, restored from the node's cache
 * @param remoteRestore the same, restored from remote storage, for the bench's guest
 * @param warmMs a warm start through the gateway
 * @param snapshotMs after a boot's first answer: snapshot, verifying clone, commit and upload
 * @param benchGuestBytes guest memory of the bench's function
 * @param remoteBytesPerRestore bytes read from remote storage per remote restore of that guest
 * @param cacheBytesPerGuestByte cache bytes per byte of guest memory
 * @param cores cores of the machine the benches ran on: a simulated node's, by default
 * @param sources where the figures came from
 */
public record SimModel(
    Quantiles boot,
    Quantiles localRestore,
    Quantiles remoteRestore,
    double warmMs,
    double snapshotMs,
    long benchGuestBytes,
    long remoteBytesPerRestore,
    double cacheBytesPerGuestByte,
    int cores,
    List<String> sources) {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The committed defaults: bench runs on the reference machine (docs/benchmarks.md). */
  public static final String DEFAULTS = "model-defaults.json";

  public SimModel {
    Objects.requireNonNull(boot, "boot");
    Objects.requireNonNull(localRestore, "localRestore");
    Objects.requireNonNull(remoteRestore, "remoteRestore");
    sources = List.copyOf(sources);
    if (benchGuestBytes <= 0 || remoteBytesPerRestore < 0 || cacheBytesPerGuestByte <= 0) {
      throw new IllegalArgumentException("sizes of the model must be positive");
    }
    if (cores < 1) {
      throw new IllegalArgumentException("the model's machine must have at least one core");
    }
    if (warmMs < 0 || snapshotMs < 0) {
      throw new IllegalArgumentException("times of the model must not be negative");
    }
  }

  /** The committed defaults. */
  public static SimModel defaults() {
    try (InputStream in = SimModel.class.getResourceAsStream(DEFAULTS)) {
      JsonNode doc = JSON.readTree(in);
      List<JsonNode> docs = new ArrayList<>();
      doc.path("documents").forEach(docs::add);
      return from(docs, List.of("committed defaults (" + doc.path("source").asString() + ")"));
    } catch (IOException | JacksonException e) {
      throw new IllegalStateException("the simulator's committed model cannot be read", e);
    }
  }

  /**
   * The defaults overridden by bench JSON files, in order.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  public static SimModel withBenchFiles(List<Path> files) {
    SimModel m = defaults();
    for (Path f : files) {
      JsonNode doc;
      try {
        doc = JSON.readTree(Files.readString(f));
      } catch (IOException e) {
        throw new IllegalArgumentException(f + ": cannot be read (" + e.getMessage() + ")", e);
      } catch (JacksonException e) {
        throw new IllegalArgumentException(f + ": not JSON (" + e.getOriginalMessage() + ")", e);
      }
      m = m.apply(doc, f.toString(), true);
    }
    return m;
  }

  private static SimModel from(List<JsonNode> docs, List<String> sources) {
    SimModel m =
        new SimModel(
            Quantiles.constant(8000),
            Quantiles.constant(130),
            Quantiles.constant(300),
            5,
            1500,
            256L << 20,
            14L << 20,
            1.0,
            2,
            sources);
    for (JsonNode d : docs) {
      m = m.apply(d, "the committed model", false);
    }
    return new SimModel(
        m.boot,
        m.localRestore,
        m.remoteRestore,
        m.warmMs,
        m.snapshotMs,
        m.benchGuestBytes,
        m.remoteBytesPerRestore,
        m.cacheBytesPerGuestByte,
        m.cores,
        sources);
  }

  /**
   * This model with what {@code doc} measured: one bench's result, or a {@code {"model": …}}
   * document.
   *
   * @param whole whether a bench's document must hold every row the model reads of that bench (a
   *     bench's own output does; the committed model's documents are published bench figures,
   *     partial by design, that together set every input)
   * @throws IllegalArgumentException naming {@code where}, and the bench and row a document lacks
   */
  SimModel apply(JsonNode doc, String where, boolean whole) {
    JsonNode model = doc.path("model");
    if (model.isObject()) {
      return withModel(model, where);
    }
    BenchResult r;
    try {
      r = BenchResultCodec.read(doc);
    } catch (MalformedBenchResultException e) {
      throw new IllegalArgumentException(
          where + ": " + e.getMessage() + " (nor a {\"model\": …} document)", e);
    }
    List<ModelRow> missing = r.missingModelRows();
    if (whole && !missing.isEmpty()) {
      ModelRow m = missing.get(0);
      throw new IllegalArgumentException(
          where
              + ": this document of "
              + r.bench().command()
              + " has no row '"
              + m.label()
              + "', which the model reads as its "
              + m.input()
              + " (rows: "
              + String.join(", ", r.rows().stream().map(BenchRow::label).toList())
              + ")");
    }
    Quantiles b = boot;
    Quantiles local = localRestore;
    Quantiles remote = remoteRestore;
    double warm = warmMs;
    long guest = benchGuestBytes;
    long remoteBytes = remoteBytesPerRestore;
    for (ModelRow m : ModelRow.of(r.bench())) {
      Optional<BenchRow> row = r.row(m.label());
      if (row.isEmpty()) {
        continue;
      }
      String at = where + " '" + m.label() + "'";
      LatencySummary ms = row.get().latencyMs();
      switch (m) {
        case VM_COLD_BOOT, NO_SNAPSHOT -> b = Quantiles.of(ms, at);
        case VM_RESTORE, LOCAL_SNAPSHOT, LOCAL_RESTORE -> local = Quantiles.of(ms, at);
        case REMOTE_CACHED_FETCH -> remote = Quantiles.of(ms, at);
        case REMOTE_CHUNKS -> {
          remote = Quantiles.of(ms, at);
          OptionalDouble bytes = row.get().figure(BenchRow.BYTES_PER_RESTORE);
          if (bytes.isEmpty() && whole) {
            throw new IllegalArgumentException(
                at + " has no number '" + BenchRow.BYTES_PER_RESTORE + "'");
          }
          remoteBytes = bytes.isPresent() ? (long) bytes.getAsDouble() : remoteBytes;
          guest = r.longFact(BenchResult.GUEST_MEMORY_BYTES).orElse(guest);
        }
        case GATEWAY_KEPT_ALIVE -> {
          if (Double.isNaN(ms.p50())) {
            throw new IllegalArgumentException(at + " has no number 'p50'");
          }
          warm = ms.p50();
        }
      }
    }
    return with(
        b,
        local,
        remote,
        warm,
        snapshotMs,
        guest,
        remoteBytes,
        cacheBytesPerGuestByte,
        r.cores() > 0 ? r.cores() : cores,
        where);
  }

  /** This model with the fields a {@code {"model": …}} document sets by name. */
  private SimModel withModel(JsonNode model, String where) {
    return with(
        model.has("boot") ? Quantiles.fromJson(model.path("boot"), where + " model.boot") : boot,
        localRestore,
        remoteRestore,
        model.path("warmMs").asDouble(warmMs),
        model.path("snapshotMs").asDouble(snapshotMs),
        model.path("benchGuestBytes").asLong(benchGuestBytes),
        model.path("remoteBytesPerRestore").asLong(remoteBytesPerRestore),
        model.path("cacheBytesPerGuestByte").asDouble(cacheBytesPerGuestByte),
        model.path("cores").asInt(cores),
        where);
  }

  private SimModel with(
      Quantiles b,
      Quantiles local,
      Quantiles remote,
      double warm,
      double snap,
      long guest,
      long remoteBytes,
      double cachePerGuest,
      int machineCores,
      String where) {
    if (machineCores < 1) {
      throw new IllegalArgumentException(where + ": cores must be at least 1, not " + machineCores);
    }
    List<String> src = new ArrayList<>(sources);
    src.add(where);
    return new SimModel(
        b, local, remote, warm, snap, guest, remoteBytes, cachePerGuest, machineCores, src);
  }

  /** Cache bytes of a snapshot of a guest of {@code guestBytes}. */
  public long cacheBytes(long guestBytes) {
    return (long) (cacheBytesPerGuestByte * guestBytes);
  }

  /** Bytes read from remote storage to restore a guest of {@code guestBytes}. */
  public long remoteBytes(long guestBytes) {
    return (long) ((double) remoteBytesPerRestore * guestBytes / benchGuestBytes);
  }

  /** A remote restore at share {@code u} of a guest of {@code guestBytes}. */
  public double remoteRestoreMs(double u, long guestBytes) {
    double l = localRestore.at(u);
    return l + Math.max(0, remoteRestore.at(u) - l) * guestBytes / benchGuestBytes;
  }

  /** What a snapshot of {@code guestBytes} costs when it is not cached: the fetch's median. */
  public double missCostMs(long guestBytes) {
    return remoteRestoreMs(0.5, guestBytes) - localRestore.p50();
  }
}
