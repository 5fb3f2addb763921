package dev.thaw.image;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tars in memory, hostile ones included. */
final class Tars {
  static final Instant TIME = Instant.parse("2024-01-02T03:04:05Z");

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar;

  private Tars() {
    tar = new TarArchiveOutputStream(bytes);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  static Tars tar() {
    return new Tars();
  }

  Tars dir(String name) throws IOException {
    return dir(name, 0755);
  }

  Tars dir(String name, int mode) throws IOException {
    return dir(name, mode, 0, 0);
  }

  Tars dir(String name, int mode, int uid, int gid) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR, true);
    e.setMode(040000 | mode);
    e.setUserId(uid);
    e.setGroupId(gid);
    e.setModTime(Date.from(TIME));
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  Tars file(String name, String content) throws IOException {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0);
  }

  Tars file(String name, byte[] content, int mode, int uid, int gid) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
    e.setMode(0100000 | mode);
    e.setSize(content.length);
    e.setUserId(uid);
    e.setGroupId(gid);
    e.setModTime(Date.from(TIME));
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
    return this;
  }

  Tars symlink(String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    e.setModTime(Date.from(TIME));
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  Tars hardlink(String name, String target) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  Tars special(String name, byte type) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setDevMajor(1);
    e.setDevMinor(3);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  byte[] bytes() throws IOException {
    tar.finish();
    tar.close();
    return bytes.toByteArray();
  }

  byte[] gzip() throws IOException {
    return compress(bytes(), false);
  }

  byte[] zstd() throws IOException {
    return compress(bytes(), true);
  }

  private static byte[] compress(byte[] data, boolean zstd) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = zstd ? new ZstdOutputStream(out) : new GZIPOutputStream(out)) {
      z.write(data);
    }
    return out.toByteArray();
  }
}
