package dev.thaw.fuse;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A server process for {@link FuseFileServerIT}: mounts on its argument, then waits to die. */
public final class MountAndWait {
  private MountAndWait() {}

  public static void main(String[] args) throws Exception {
    FuseFileServer server = FuseFileServer.mount(Path.of(args[0]));
    server.publish(
        "f",
        new dev.thaw.core.lazy.ServedFile() {
          @Override
          public long size() {
            return 4096;
          }

          @Override
          public int read(long offset, ByteBuffer into) {
            int n = into.remaining();
            into.position(into.limit());
            return n;
          }
        });
    System.out.println("mounted");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
