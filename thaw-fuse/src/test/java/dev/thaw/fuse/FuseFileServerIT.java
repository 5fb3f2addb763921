package dev.thaw.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.lazy.ServedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseFileServerIT {
  @TempDir Path dir;

  @Test
  void servesAFile() throws Exception {
    ServedFile f =
        new ServedFile() {
          public long size() {
            return 1 << 20;
          }

          public int read(long offset, ByteBuffer into) throws IOException {
            int n = 0;
            while (into.hasRemaining()) {
              into.put((byte) ((offset + n) % 251));
              n++;
            }
            return n;
          }
        };
    try (FuseFileServer s = FuseFileServer.mount(dir.resolve("mnt"))) {
      Path p = s.publish("a.bin", f);
      try (var rw =
          java.nio.channels.FileChannel.open(
              p, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
        assertThat(rw.size()).isEqualTo(1 << 20);
      }
      assertThat(FuseFileServer.isMounted(dir.resolve("mnt"))).isTrue();
      byte[] all = Files.readAllBytes(p);
      assertThat(all).hasSize(1 << 20);
      for (int i = 0; i < all.length; i++) {
        assertThat(all[i]).isEqualTo((byte) (i % 251));
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("mnt"))).isFalse();
  }

  @Test
  void aMountLeftByAKilledServerIsDetachedByTheNextOne() throws Exception {
    Path mnt = dir.resolve("stale");
    Process server =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                MountAndWait.class.getName(),
                mnt.toString())
            .redirectErrorStream(true)
            .start();
    try {
      var out =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(
                  server.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.equals("mounted"));
      assertThat(line).isEqualTo("mounted");
      server.destroyForcibly().waitFor();
      // kill -9: nobody answers the mount any more, but it stays.
      assertThat(FuseFileServer.isMounted(mnt)).isTrue();
      try (FuseFileServer next = FuseFileServer.mount(mnt)) {
        Path p = next.publish("g", constant(8192));
        assertThat(Files.readAllBytes(p)).hasSize(8192);
        assertThat(FuseFileServer.mountPoints().stream().filter(m -> m.equals(mnt.toString())))
            .hasSize(1);
      }
      assertThat(FuseFileServer.isMounted(mnt)).isFalse();
    } finally {
      server.destroyForcibly();
      FuseFileServer.detachStale(mnt);
    }
  }

  private static ServedFile constant(long size) {
    return new ServedFile() {
      public long size() {
        return size;
      }

      public int read(long offset, ByteBuffer into) {
        int n = (int) Math.min(into.remaining(), size - offset);
        into.position(into.position() + n);
        return n;
      }
    };
  }

  @Test
  void readAheadBringsARangeIntoThePageCacheWithOneRequest() throws Exception {
    List<long[]> reads = new CopyOnWriteArrayList<>();
    ServedFile f =
        new ServedFile() {
          public long size() {
            return 1 << 20;
          }

          public int read(long offset, ByteBuffer into) {
            reads.add(new long[] {offset, into.remaining()});
            int n = 0;
            while (into.hasRemaining()) {
              into.put((byte) ((offset + n) % 251));
              n++;
            }
            return n;
          }
        };
    // Readahead 0, as for recording: without the advice, every page would be a request.
    try (FuseFileServer s = FuseFileServer.mount(dir.resolve("mnt"), 0)) {
      Path p = s.publish("b.bin", f);
      long at = 3 << 16;
      s.readAhead("b.bin", List.of(new long[] {at, 1 << 16}));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> reads.stream().anyMatch(r -> r[0] <= at && r[0] + r[1] >= at + (1 << 16)));
      int before = reads.size();
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        c.read(b, at + 8192);
        assertThat(b.get(0)).isEqualTo((byte) ((at + 8192) % 251));
      }
      assertThat(reads).hasSize(before); // from the page cache: the server was not asked
    }
  }

  @Test
  void storedBytesAreReadFromThePageCacheWithoutAskingTheServer() throws Exception {
    List<long[]> reads = new CopyOnWriteArrayList<>();
    ServedFile f =
        new ServedFile() {
          public long size() {
            return 4 << 20;
          }

          public int read(long offset, ByteBuffer into) {
            reads.add(new long[] {offset, into.remaining()});
            int n = into.remaining();
            into.put(new byte[n]);
            return n;
          }
        };
    // Larger than one write to the device, not a multiple of it.
    byte[] pushed = new byte[StoreNotify.PIECE + 3 * 4096];
    for (int i = 0; i < pushed.length; i++) {
      pushed[i] = (byte) (i % 253 + 1);
    }
    long at = 1 << 16;
    try (FuseFileServer s = FuseFileServer.mount(dir.resolve("mnt"), 0)) {
      Path p = s.publish("c.bin", f);
      assertThat(s.store("c.bin", at, ByteBuffer.wrap(pushed))).isTrue();
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(pushed.length);
        while (b.hasRemaining() && c.read(b, at + b.position()) > 0) {}
        assertThat(b.array()).isEqualTo(pushed);
        assertThat(reads).isEmpty();
        // A page beside them was not stored: the server is asked for it and answers zeros.
        ByteBuffer beside = ByteBuffer.allocate(4096);
        c.read(beside, at + pushed.length);
        assertThat(beside.array()).containsOnly((byte) 0);
        assertThat(reads).isNotEmpty();
      }
      // From a direct buffer, at a position other than 0, as a lazy restore's pages come.
      ByteBuffer direct = ByteBuffer.allocateDirect(8192 + 4096);
      direct.put(new byte[4096]).put(pushed, 0, 8192).flip().position(4096);
      long next = 2L << 20;
      assertThat(s.store("c.bin", next, direct.slice())).isTrue();
      int asked = reads.size();
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(8192);
        while (b.hasRemaining() && c.read(b, next + b.position()) > 0) {}
        assertThat(b.array()).isEqualTo(java.util.Arrays.copyOf(pushed, 8192));
      }
      assertThat(reads).hasSize(asked);
      assertThatThrownBy(() -> s.store("c.bin", 100, ByteBuffer.wrap(pushed)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
