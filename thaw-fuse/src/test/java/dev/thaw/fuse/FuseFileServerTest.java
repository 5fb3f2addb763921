package dev.thaw.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.lazy.ServedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseFileServerTest {
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
      System.out.println(
          "MOUNTS "
              + Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                  .filter(l -> l.contains("fuse.thaw"))
                  .toList());
      byte[] all = Files.readAllBytes(p);
      assertThat(all).hasSize(1 << 20);
      for (int i = 0; i < all.length; i++) {
        assertThat(all[i]).isEqualTo((byte) (i % 251));
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("mnt"))).isFalse();
  }
}
