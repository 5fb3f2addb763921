package dev.thaw.cli;

import dev.thaw.core.config.ByteSize;
import dev.thaw.core.snapshot.GcReport;
import dev.thaw.core.snapshot.SnapshotCollector;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.node.snapshot.SnapshotManager;
import dev.thaw.node.snapshot.cache.CacheDirectory;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code thaw snapshots ls|rm|gc}: the local cache and the bucket. */
@Command(
    name = "snapshots",
    mixinStandardHelpOptions = true,
    description =
        "List or remove snapshots in the local cache or in remote storage; collect remote garbage.",
    subcommands = {SnapshotsCommand.Ls.class, SnapshotsCommand.Rm.class, SnapshotsCommand.Gc.class})
final class SnapshotsCommand {
  private static final String ROW = "%-32s %-12s %10s  %s%n";

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List snapshots.")
  static final class Ls implements Callable<Integer> {
    @Mixin NodeOptions node;
    @Mixin S3Options s3;

    @Option(names = "--remote", description = "List the bucket instead of the local cache.")
    boolean remote;

    @Override
    public Integer call() throws Exception {
      PrintStream out = System.out;
      if (!remote) {
        out.printf(ROW, "REVISION", "FUNCTION", "SIZE", "LAST USED");
        for (CacheDirectory.Listing l : CacheDirectory.peek(node.cacheDir())) {
          row(out, l.manifest(), l.lastUsed().toString());
        }
        return 0;
      }
      try (S3Options.Remote r = s3.open(node.dataDir())) {
        // One row per stored snapshot: a revision has one per variant (guest image and VMM).
        out.printf(ROW, "REVISION", "FUNCTION", "SIZE", "CREATED, VARIANT");
        for (String name : r.store().revisions()) {
          Optional<String> json = r.store().manifest(name);
          if (json.isPresent()) {
            SnapshotManifest m = SnapshotManifestCodec.parse(json.get());
            row(out, m, m.createdAt() + "  " + variant(name));
          }
        }
      }
      return 0;
    }

    private static String variant(String name) {
      int at = name.indexOf(VariantSnapshotStore.SEPARATOR);
      return at < 0 ? "-" : name.substring(at + 1);
    }

    private static void row(PrintStream out, SnapshotManifest m, String when) {
      out.printf(ROW, m.revision(), m.function().id(), ByteSize.format(m.totalBytes()), when);
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a snapshot.")
  static final class Rm implements Callable<Integer> {
    @Mixin NodeOptions node;
    @Mixin S3Options s3;

    @Option(names = "--remote", description = "Remove from the bucket instead of the local cache.")
    boolean remote;

    @Parameters(paramLabel = "REVISION", description = "The revision whose snapshot goes.")
    String revision;

    @Override
    public Integer call() throws Exception {
      if (remote) {
        try (S3Options.Remote r = s3.open(node.dataDir())) {
          // Every variant of the revision: snapshots of any guest image and VMM.
          List<String> names =
              r.store().revisions().stream()
                  .filter(
                      n ->
                          n.equals(revision)
                              || n.startsWith(revision + VariantSnapshotStore.SEPARATOR))
                  .toList();
          if (names.isEmpty()) {
            System.err.println("no snapshot of " + revision + " in " + r.store().describe());
            return 1;
          }
          for (String name : names) {
            r.store().delete(name);
          }
        }
      } else {
        // Only this entry: opening the cache would re-index it under this command's capacity.
        if (!CacheDirectory.removeEntry(node.cacheDir(), revision)) {
          System.err.println("no snapshot of " + revision + " in " + node.cacheDir());
          return 1;
        }
      }
      System.out.println("removed " + revision);
      return 0;
    }
  }

  @Command(
      name = "gc",
      mixinStandardHelpOptions = true,
      description = {
        "Collect garbage in remote storage.",
        "Deletes revisions not used for --unused-for, then every chunk no snapshot references.",
        "Safe while nodes upload: uploads wait on its lock, and the chunks of uploads in",
        "progress are kept."
      })
  static final class Gc implements Callable<Integer> {
    @Mixin NodeOptions node;
    @Mixin S3Options s3;

    @Option(
        names = "--unused-for",
        converter = DurationConverter.class,
        description =
            "Also delete revisions neither uploaded nor restored for this long, e.g. 30d;"
                + " at least 2h (default: keep every revision).")
    java.time.Duration unusedFor;

    @Override
    public Integer call() throws Exception {
      java.time.Duration interval = SnapshotManager.DEFAULT_USE_RECORD_INTERVAL;
      if (unusedFor != null && unusedFor.compareTo(interval.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException(
            "--unused-for must be at least "
                + interval.multipliedBy(2).toHours()
                + "h: nodes record a revision's use at most once every "
                + interval.toHours()
                + "h, so a shorter age could delete a revision in use");
      }
      try (S3Options.Remote r = s3.open(node.dataDir())) {
        System.out.println("collecting garbage in " + r.store().describe());
        SnapshotCollector collector = r.store();
        GcReport report =
            collector.collectGarbage(unusedFor, phase -> System.out.println("  " + phase));
        System.out.printf(
            "removed %d revisions %s and %d chunks (%s); %d chunks in use%n",
            report.expiredRevisions().size(),
            report.expiredRevisions(),
            report.chunksDeleted(),
            ByteSize.format(report.bytesFreed()),
            report.chunksKept());
      }
      return 0;
    }
  }
}
