package dev.thaw.cli;

import dev.thaw.core.config.ByteSize;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a node keeps its state, and how much snapshot cache it may use. */
final class NodeOptions {
  @Option(
      names = "--data-dir",
      defaultValue = "${env:THAW_DATA_DIR}",
      description =
          "Node state: snapshot cache, embedded S3 data, VM work dirs"
              + " (default: $THAW_DATA_DIR, else ~/.local/share/thaw).")
  Path dataDir;

  @Option(
      names = "--cache-capacity",
      defaultValue = "${env:THAW_CACHE_CAPACITY:-10GiB}",
      description = "Bound of the local snapshot cache, e.g. 10GiB (default: ${DEFAULT-VALUE}).")
  String cacheCapacity;

  Path dataDir() {
    return dataDir != null
        ? dataDir
        : Path.of(System.getProperty("user.home"), ".local", "share", "thaw");
  }

  Path cacheDir() {
    return dataDir().resolve("cache");
  }

  long cacheCapacityBytes() {
    return ByteSize.parse(cacheCapacity);
  }
}
