package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's own function images (images/build.sh, from Debian packages) go through a real
 * registry, become erofs root images, and the programs in them answer HTTP: each root image is read
 * back with fsck.erofs and its entrypoint run in a chroot of it, on 127.0.0.1.
 */
class FunctionImagesIT {
  /** The example images (built once per recipe, as `thaw demo` builds them). */
  static Path images;

  @TempDir Path tmp;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void buildImages() {
    images = ExampleImages.ensure(line -> System.out.println(line)).dir();
  }

  private static String layoutDigest(String name) throws Exception {
    var index = Manifests.JSON.readTree(Files.readAllBytes(images.resolve(name + "/index.json")));
    return index.path("manifests").get(0).path("digest").asString();
  }

  private RootImageBuilder builder() throws Exception {
    return RootImageBuilder.builder(
            RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now))
        .build();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Runs {@code command} chrooted in {@code root} with exactly {@code env}; returns the process.
   */
  private Process chroot(Path root, List<String> command, List<String> env) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chroot", root.toString()));
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(tmp.resolve("function.log").toFile());
    Map<String, String> e = pb.environment();
    e.clear();
    for (String kv : env) {
      int eq = kv.indexOf('=');
      e.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return pb.start();
  }

  private String get(int port, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private String post(int port, String path, String body) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private void stop(Process p) throws Exception {
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    // The root holds absolute links to the image's own /usr and /etc: removed here without
    // following them, rather than by the temporary directory's clean-up, which warns of each.
    dev.thaw.core.io.FileTrees.deleteRecursively(tmp.resolve("root"));
  }

  @Test
  void thePythonFunctionPushedToARegistryRunsFromItsRootImage() throws Exception {
    String digest = layoutDigest("python");
    RootImage image;
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.empty())) {
      new LayoutPusher(r.url(), "functions/python")
          .push(images.resolve("python"), digest, Manifests.OCI_MANIFEST, "1");
      ImageSources.Registries registries =
          new ImageSources.Registries(
              Optional.empty(), tmp.resolve("none.json"), Set.of(), Duration.ofSeconds(20));
      try (ImageSource s = ImageSources.open(r.host() + "/functions/python:1", registries)) {
        image = builder().build(s).image();
      }
    }
    assertThat(image.imageDigest()).as("pushed byte for byte").isEqualTo(digest);
    assertThat(image.config().exposedPorts()).containsExactly(8080);
    assertThat(image.config().command()).last().isEqualTo("/app/server.py");

    Path root = Filesystems.extract(image, tmp.resolve("root"));
    int port = freePort();
    List<String> env = new ArrayList<>(image.config().env());
    env.add("PORT=" + port);
    env.add("HOST=127.0.0.1");
    Process p = chroot(root, image.config().command(), env);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .failFast("the function exited", () -> !p.isAlive())
          .until(() -> get(port, "/"), "hello from python\n"::equals);
      assertThat(post(port, "/anything", "echo me")).isEqualTo("echo me");
    } finally {
      stop(p);
    }
  }

  @Test
  void theStaticBusyboxFunctionRunsFromItsRootImageStraightFromTheLayout() throws Exception {
    RootImageBuilder.Result r;
    try (ImageSource s =
        ImageSources.open(
            images.resolve("static").toString(),
            ImageSources.Registries.fromEnvironment(Map.of()))) {
      r = builder().build(s);
    }
    RootImage image = r.image();
    assertThat(image.imageDigest()).isEqualTo(layoutDigest("static"));
    RootImage again;
    try (ImageSource s =
        ImageSources.open(
            images.resolve("static").toString(),
            ImageSources.Registries.fromEnvironment(Map.of()))) {
      again =
          RootImageBuilder.builder(
                  RootImageCache.open(tmp.resolve("other-cache"), 1L << 30, Instant::now))
              .build()
              .build(s)
              .image();
    }
    assertThat(dev.thaw.core.io.Digests.sha256(again.file()))
        .as("built twice, the same bytes")
        .isEqualTo(dev.thaw.core.io.Digests.sha256(image.file()));
    assertThat(image.config().command()).startsWith("/bin/busybox", "httpd");

    Path root = Filesystems.extract(image, tmp.resolve("root"));
    assertThat(Files.isSymbolicLink(root.resolve("bin/sh"))).isTrue();
    int port = freePort();
    // The image's own command, on a loopback port of this test's choosing.
    Process p =
        chroot(
            root,
            List.of("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:" + port, "-h", "/www"),
            image.config().env());
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .failFast("the function exited", () -> !p.isAlive())
          .until(() -> get(port, "/"), "hello from busybox\n"::equals);
      assertThat(post(port, "/cgi-bin/echo", "echo me")).isEqualTo("echo me");
    } finally {
      stop(p);
    }
  }
}
