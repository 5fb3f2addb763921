package dev.thaw.qemu;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.io.Digests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tiny root filesystem image for functions from images, made the way the node makes them (ext4 by
 * {@code mke2fs -d} over a directory): Debian's static busybox serving HTTP with two CGI programs.
 * {@code /cgi-bin/put?TEXT} writes TEXT to {@code /data/note}; {@code /cgi-bin/get} first drops the
 * guest's clean page cache, so what it answers was read from the disk, and then answers the note
 * ("none" without one). {@code /cgi-bin/env} answers the environment the function runs with, and
 * {@code /cgi-bin/fetch?URL} the whole answer (status line and headers included) to {@code GET URL}
 * sent to the proxy the environment's {@code http_proxy} names, and {@code /cgi-bin/control?PATH}
 * the guest control server's answer to {@code GET PATH} asked from inside the VM; {@code
 * /cgi-bin/id} answers the uid, gid and supplementary groups the function runs with, and {@code
 * /cgi-bin/say?TEXT} writes "out TEXT" to the server's stdout and "err TEXT" to its stderr.
 */
final class TestRootfs {
  /** The port the test function listens on. */
  static final int PORT = 8081;

  /** The busybox httpd command line of the test function. */
  static final List<String> HTTPD =
      List.of("/bin/busybox", "httpd", "-f", "-p", Integer.toString(PORT), "-h", "/www");

  private TestRootfs() {}

  /** Writes the image to {@code image}; needs busybox-static and e2fsprogs on the host. */
  static Path build(Path work, Path image) throws IOException, InterruptedException {
    Path root = work.resolve("rootdir");
    Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("www/cgi-bin"));
    Files.createDirectories(root.resolve("data"));
    Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
    Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
    Files.writeString(root.resolve("www/index.html"), "static\n");
    cgi(
        root.resolve("www/cgi-bin/put"),
        "echo \"$QUERY_STRING\" > /data/note\necho wrote \"$QUERY_STRING\"");
    cgi(
        root.resolve("www/cgi-bin/get"),
        "echo 1 > /proc/sys/vm/drop_caches\n/bin/busybox cat /data/note 2>/dev/null || echo none");
    cgi(root.resolve("www/cgi-bin/env"), "/bin/busybox env");
    // The stdout of httpd's main process (a CGI's is the answer, and so is that of the process
    // serving the connection, its parent), reopened through /proc as log paths often are.
    cgi(
        root.resolve("www/cgi-bin/say"),
        "main=$(/bin/busybox awk '/^PPid/ {print $2}' /proc/$PPID/status)\n"
            + "echo \"out $QUERY_STRING\" > /proc/$main/fd/1\n"
            + "echo \"err $QUERY_STRING\" >&2\necho said");
    // QUERY_STRING MB of 100-byte lines on the stdout of httpd's main process; answers once
    // written.
    cgi(
        root.resolve("www/cgi-bin/flood"),
        "main=$(/bin/busybox awk '/^PPid/ {print $2}' /proc/$PPID/status)\n"
            + "/bin/busybox yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
            + " | /bin/busybox cut -c1-99 | /bin/busybox head -c $((QUERY_STRING * 1000000))"
            + " > /proc/$main/fd/1\necho flooded");
    // Numbers only: the image has no passwd or group file, and the static busybox's name service
    // lookups are not to be trusted (see fetch below).
    cgi(
        root.resolve("www/cgi-bin/id"),
        "echo \"uid $(/bin/busybox id -u) gid $(/bin/busybox id -g)\"\n"
            + "/bin/busybox grep '^Groups:' /proc/self/status");
    cgi(
        root.resolve("www/cgi-bin/control"),
        "printf 'GET %s HTTP/1.0\\r\\n\\r\\n' \"$QUERY_STRING\" | /bin/busybox nc -w 5 127.0.0.1 "
            + FunctionImage.CONTROL_PORT);
    cgi(
        root.resolve("www/cgi-bin/fetch"),
        // By hand: busybox's static wget crashes in the C library's name service lookups.
        "p=${http_proxy#http://}\nprintf 'GET %s HTTP/1.0\\r\\n\\r\\n' \"$QUERY_STRING\""
            + " | /bin/busybox nc -w 5 ${p%:*} ${p##*:} 2>&1 || echo fetch failed");
    Process p =
        new ProcessBuilder(
                "mke2fs", "-q", "-F", "-t", "ext4", "-d", root.toString(), image.toString(), "16M")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("mke2fs failed: " + out);
    }
    return image;
  }

  /** The image's digest as an image digest ({@code sha256:...}). */
  static String digest(Path image) throws IOException {
    return "sha256:" + Digests.sha256(image);
  }

  private static void cgi(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\necho \"Content-Type: text/plain\"\necho\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
