package dev.thaw.node.snapshot;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.s3.S3ObjectStore;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * A child process for the full-disk test, run where its cache directory is a tiny filesystem of its
 * own: one cold start of {@code stateful} from remote storage the way an agent makes it, then what
 * the cache holds afterwards, printed for the parent (which cannot see that filesystem).
 *
 * <p>Arguments: test directory (the node's cache is {@code full-cache} in it), S3 endpoint, bucket,
 * revision. Credentials come from the SDK's default chain (the parent passes them in the
 * environment).
 */
public final class ColdStartOnFullDisk {
  private ColdStartOnFullDisk() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    try (RemoteSnapshotStore store =
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder().endpoint(URI.create(args[1])).bucket(args[2]).build())
                .build();
        Node node =
            new Node(
                dir, "full", SnapshotMode.REMOTE, store, true, new InMemoryCacheAdvertiser())) {
      ColdStart start = node.manager.start(BuiltinFunctions.STATEFUL, Revision.of(args[3]));
      MicroVm vm = start.vm();
      System.out.println("source " + start.source());
      System.out.println("fallback " + start.fallback().orElse("-"));
      // What an agent does next after a boot: invoke, then snapshot (which stops the VM).
      new FunctionClient(Duration.ofSeconds(30)).get(vm.endpoint(), "/");
      try {
        node.manager
            .snapshotAfterFirstInvocation(vm, BuiltinFunctions.STATEFUL, Revision.of(args[3]))
            .get()
            .verifiedClone()
            .ifPresent(MicroVm::close);
        System.out.println("snapshot made");
      } catch (ExecutionException e) {
        System.out.println("snapshot failed: " + e.getCause().getMessage());
      } finally {
        vm.close();
      }
      System.out.println("cached " + node.cache.revisions());
      System.out.println("used " + node.cache.usedBytes());
      Path cache = dir.resolve("full").resolve("cache");
      for (String sub : new String[] {"incoming", "entries"}) {
        try (Stream<Path> files = Files.list(cache.resolve(sub))) {
          System.out.println(sub + " " + files.map(p -> p.getFileName().toString()).toList());
        }
      }
    }
  }
}
