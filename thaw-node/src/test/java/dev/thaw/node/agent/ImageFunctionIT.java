package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageSources;
import dev.thaw.image.LayoutPusher;
import dev.thaw.image.RegistryServer;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.image.RuntimeImages;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A function from an image, end to end on real parts: the project's Python image pushed to a real
 * registry server, deployed through the gateway's API on two agents (each pulls it and builds its
 * root image), invoked; its first invocation writes a file, the snapshot carries the disk layer to
 * S3, and a clone on the other node reads the file; clones' own writes stay their own, and the
 * snapshot's layer does not change.
 */
class ImageFunctionIT {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final GuestImage IMAGE = GuestImage.ensure(System.out::println);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private <T extends AutoCloseable> T keep(T c) {
    open.add(c);
    return c;
  }

  private record Node(NodeAgent agent, AgentServer server, SnapshotNode snapshots) {}

  /**
   * A node with its own image cache, sharing root images through remote storage, and a file server:
   * its snapshots record their working set, its remote restores are lazy.
   */
  private Node node(String name, RemoteSnapshotStore remote) throws Exception {
    Path data = dir.resolve(name);
    FuseFileServer files = keep(FuseFileServer.mount(data.resolve("served")));
    RootImageCache cache = RootImageCache.open(data.resolve("images"), 4L << 30, Instant::now);
    ImageFunctions images =
        new ImageFunctions(
            RootImageBuilder.builder(cache).build(),
            ImageSources.Registries.fromEnvironment(java.util.Map.of()),
            remote.rootImages());
    QemuVmm vmm = QemuVmm.builder().image(IMAGE).workRoot(data.resolve("vms")).build();
    SnapshotNode snapshots =
        keep(
            SnapshotNode.builder(vmm, IMAGE.digests(), data)
                .manager(
                    b ->
                        b.mode(SnapshotMode.REMOTE)
                            // A JVM's or Node.js's start under TCG on a busy machine takes minutes.
                            .readyTimeout(Duration.ofMinutes(6))
                            .remote(remote)
                            .localFunction(images::localize)
                            .files(files))
                .build());
    NodeAgent agent =
        keep(
            NodeAgent.builder()
                .name(name)
                .manager(snapshots.manager())
                .keepAlive(Duration.ofMinutes(5))
                .images(images)
                .build());
    AgentServer server =
        keep(AgentServer.builder(agent, TOKEN).snapshots(snapshots.cache()::revisions).start());
    return new Node(agent, server, snapshots);
  }

  private HttpResponse<String> send(URI base, String method, String path, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", TOKEN.authorization())
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofMinutes(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> invoke(Node n, String path) throws Exception {
    return invoke(n, "py", path);
  }

  private HttpResponse<String> invoke(Node n, String revision, String path) throws Exception {
    return send(
        n.server().uri(),
        "POST",
        "/functions/"
            + revision
            + "/invoke?path="
            + URLEncoder.encode(path, StandardCharsets.UTF_8),
        "");
  }

  private static String header(HttpResponse<String> r, String name) {
    return r.headers().firstValue(name).orElse("");
  }

  @Test
  void imageFromARegistryRunsItsFirstWriteReachesAnotherNodeAndClonesKeepTheirOwn()
      throws Exception {
    ExampleImages examples = ExampleImages.ensure(System.out::println);
    RegistryServer registry = keep(RegistryServer.start(dir.resolve("registry"), Optional.empty()));
    String digest =
        new LayoutPusher(registry.url(), "fn/python").pushLayout(examples.python(), "v1");
    EmbeddedS3Server s3 = keep(EmbeddedS3Server.start(dir.resolve("s3")));
    RemoteSnapshotStore remote =
        keep(
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder().server(s3).bucket("snapshots").build().ensureBucket())
                .build());
    Node n1 = node("n1", remote);
    Node n2 = node("n2", remote);
    Gateway gateway =
        keep(
            Gateway.builder()
                .token(TOKEN)
                .node("n1", n1.server().uri())
                .node("n2", n2.server().uri())
                .build());
    GatewayServer gatewayServer = keep(GatewayServer.start(gateway, 0, TOKEN));

    // A bad reference is refused with its reason, and nothing is deployed.
    HttpResponse<String> bad =
        send(
            gatewayServer.uri(),
            "PUT",
            "/functions/py",
            "{\"image\":\"" + registry.host() + "/fn/missing:v1\"}");
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
    assertThat(n1.agent().functions()).isEmpty();

    // n1 pulls and builds the root image and stores it remotely; n2 then takes it from there.
    HttpResponse<String> deployed = deploy(n1.server().uri(), registry);
    assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);
    assertThat(remote.rootImages().find(digest, FilesystemFormat.EROFS)).isPresent();
    deployed = deploy(gatewayServer.uri(), registry);
    assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);
    JsonNode nodes = JSON.readTree(deployed.body()).get("nodes");
    for (String n : List.of("n1", "n2")) {
      assertThat(nodes.get(n).get("function").get("image").get("digest").asString())
          .isEqualTo(digest);
    }
    FunctionSpec spec = n1.agent().functions().get("py");
    assertThat(spec.image().port()).isEqualTo(8080);
    assertThat(spec.image().env()).contains("GREETING=hi", "PORT=8080");
    FunctionSpec onN2 = n2.agent().functions().get("py");
    assertThat(onN2.image().rootfs())
        .startsWith(dir.resolve("n2"))
        .isNotEqualTo(spec.image().rootfs());
    assertThat(Digests.sha256(onN2.image().rootfs()))
        .isEqualTo(Digests.sha256(spec.image().rootfs()));
    assertThat(onN2.withRootfs(spec.image().rootfs())).isEqualTo(spec);

    // First invocation: a boot; it writes a file on the function's disk.
    HttpResponse<String> first = invoke(n1, "/files/note?write=first");
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("first");
    assertThat(header(first, "X-Thaw-Source")).isEqualTo("none");
    await()
        .atMost(Duration.ofMinutes(3))
        .until(
            () ->
                !remote.revisions().isEmpty()
                    && n1.snapshots().cache().revisions().contains("py")
                    && !n1.agent().instances().isEmpty());
    Path layer = diskFile(dir.resolve("n1").resolve("cache"));
    String layerBefore = Digests.sha256(layer);

    // Another node restores from remote storage and reads what the first invocation wrote.
    // Its snapshot names n1's root image file; n2 runs it on its own copy (n1's is moved
    // aside meanwhile, so a restore that used it would fail and boot).
    Path n1Entry = spec.image().rootfs().getParent();
    Path aside = n1Entry.resolveSibling("aside");
    Files.move(n1Entry, aside);
    HttpResponse<String> restored;
    try {
      restored = invoke(n2, "/files/note");
    } finally {
      Files.move(aside, n1Entry);
    }
    assertThat(restored.statusCode()).as(restored.body()).isEqualTo(200);
    assertThat(header(restored, "X-Thaw-Source")).isEqualTo("remote");
    assertThat(restored.body()).isEqualTo("first");
    // Lazily: the guest answered on its disk layer, device state and working set; the rest of
    // its memory followed, and the entry it filled was committed.
    assertThat(n2.snapshots().manager().lazyRestores()).isEqualTo(1);
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> n2.snapshots().cache().revisions().contains("py"));

    // Two clones (n1's verified clone, n2's restore) write one path; each reads back its own.
    assertThat(invoke(n1, "/files/note?write=one").body()).isEqualTo("one");
    assertThat(invoke(n2, "/files/note?write=two").body()).isEqualTo("two");
    assertThat(invoke(n1, "/files/note").body()).isEqualTo("one");
    assertThat(invoke(n2, "/files/note").body()).isEqualTo("two");
    assertThat(invoke(n1, "/").body()).isEqualTo("hello from python\n");

    // The snapshot's layer is as it was; a fresh restore still reads the first write.
    assertThat(Digests.sha256(layer)).isEqualTo(layerBefore);
    n1.agent().stopIdle(dev.thaw.core.function.Revision.of("py"));
    HttpResponse<String> again = invoke(n1, "/files/note");
    assertThat(header(again, "X-Thaw-Source")).isEqualTo("local");
    assertThat(again.body()).isEqualTo("first");
  }

  /**
   * The runtimes whose own start a snapshot saves: a Node.js function (Debian's nodejs, a root
   * image of about 110 MiB) and a Java one built by Jib on a JRE from Debian's packages (about 190
   * MiB), each with more guest memory than the default. Deployed from a registry through the
   * gateway, it boots on one node; its snapshot carries the instance's state (its call count) to a
   * local restore and to a remote restore on a node that never ran it.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"node, 384", "java, 512"})
  void runtimeBootsAndItsStateReachesALocalAndARemoteRestore(String runtime, int memoryMib)
      throws Exception {
    Path layout = RuntimeImages.ensure(System.out::println).of(runtime);
    RegistryServer registry = keep(RegistryServer.start(dir.resolve("registry"), Optional.empty()));
    String digest = new LayoutPusher(registry.url(), "fn/" + runtime).pushLayout(layout, "v1");
    EmbeddedS3Server s3 = keep(EmbeddedS3Server.start(dir.resolve("s3")));
    RemoteSnapshotStore remote =
        keep(
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder().server(s3).bucket("snapshots").build().ensureBucket())
                .build());
    Node n1 = node("n1", remote);
    Node n2 = node("n2", remote);
    Gateway gateway =
        keep(
            Gateway.builder()
                .token(TOKEN)
                .node("n1", n1.server().uri())
                .node("n2", n2.server().uri())
                .build());
    GatewayServer gatewayServer = keep(GatewayServer.start(gateway, 0, TOKEN));
    HttpResponse<String> deployed =
        send(
            gatewayServer.uri(),
            "PUT",
            "/functions/js",
            "{\"image\":\""
                + registry.host()
                + "/fn/"
                + runtime
                + ":v1\",\"memoryMib\":"
                + memoryMib
                + "}");
    assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);
    FunctionSpec spec = n1.agent().functions().get("js");
    assertThat(spec.memoryMib()).isEqualTo(memoryMib);
    assertThat(
            JSON.readTree(deployed.body())
                .get("nodes")
                .get("n2")
                .get("function")
                .get("image")
                .get("digest")
                .asString())
        .isEqualTo(digest);

    HttpResponse<String> first = invoke(n1, "js", "/count");
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("1\n");
    assertThat(header(first, "X-Thaw-Source")).isEqualTo("none");
    await()
        .atMost(Duration.ofMinutes(3))
        .until(
            () ->
                !remote.revisions().isEmpty()
                    && n1.snapshots().cache().revisions().contains("js")
                    && !n1.agent().instances().isEmpty());

    // The verified clone counts on from the snapshot, as does a fresh local restore.
    n1.agent().stopIdle(dev.thaw.core.function.Revision.of("js"));
    HttpResponse<String> local = invoke(n1, "js", "/count");
    assertThat(header(local, "X-Thaw-Source")).isEqualTo("local");
    assertThat(local.body()).isEqualTo("2\n");
    assertThat(invoke(n1, "js", "/lookup?word=nothing").statusCode()).isEqualTo(404);

    // A node that never ran it restores it from remote storage, lazily, with the same state.
    HttpResponse<String> restored = invoke(n2, "js", "/count");
    assertThat(restored.statusCode()).as(restored.body()).isEqualTo(200);
    assertThat(header(restored, "X-Thaw-Source")).isEqualTo("remote");
    assertThat(restored.body()).isEqualTo("2\n");
    assertThat(n2.snapshots().manager().lazyRestores()).isEqualTo(1);
    assertThat(invoke(n2, "js", "/").body()).isEqualTo("hello from " + runtime + "\n");
  }

  private HttpResponse<String> deploy(URI api, RegistryServer registry) throws Exception {
    return send(
        api,
        "PUT",
        "/functions/py",
        "{\"image\":\"" + registry.host() + "/fn/python:v1\",\"env\":[\"GREETING=hi\"]}");
  }

  private static Path diskFile(Path cache) throws Exception {
    try (Stream<Path> files = Files.walk(cache)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("disk"))
          .filter(Files::isRegularFile)
          .findFirst()
          .orElseThrow(() -> new AssertionError("no disk file in " + cache));
    }
  }
}
