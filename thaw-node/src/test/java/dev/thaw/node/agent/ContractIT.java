package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.image.ImageSources;
import dev.thaw.image.LayoutPusher;
import dev.thaw.image.RegistryServer;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The function contract on real parts (see {@code docs/function-contract.md}): the project's
 * contract image pushed to a real registry server and deployed on two agents with a deploy-time
 * environment, command and args, and an {@code afterRestore} hook; its image sets {@code Env}, a
 * named {@code USER}, {@code WorkingDir} and names a {@code beforeSnapshot} hook by label. What the
 * function reports is asserted after a cold boot, after local restores and after a remote restore.
 * Ten clones regenerate the token their snapshot holds in their {@code afterRestore} hook: ten
 * distinct values; the same image deployed without that hook gives its ten clones one.
 */
class ContractIT {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final GuestImage IMAGE = GuestImage.ensure(System.out::println);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int CLONES = 10;

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

  /** A node in remote mode with its own image cache, sharing root images through S3. */
  private Node node(String name, RemoteSnapshotStore remote) throws Exception {
    Path data = dir.resolve(name);
    RootImageCache cache = RootImageCache.open(data.resolve("images"), 4L << 30, Instant::now);
    ImageFunctions images =
        new ImageFunctions(
            RootImageBuilder.builder(cache).build(),
            ImageSources.Registries.fromEnvironment(Map.of()),
            remote.rootImages());
    QemuVmm vmm = QemuVmm.builder().image(IMAGE).workRoot(data.resolve("vms")).build();
    SnapshotNode snapshots =
        keep(
            SnapshotNode.builder(vmm, IMAGE.digests(), data)
                .manager(
                    b -> b.mode(SnapshotMode.REMOTE).remote(remote).localFunction(images::localize))
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

  /** What the function reports, and where its instance came from. */
  private record Report(String source, JsonNode json) {
    String token() {
      return json.get("token").asString();
    }

    int calls(String hook) {
      return json.get(hook).asInt();
    }
  }

  private Report report(Node n, String revision) throws Exception {
    HttpResponse<String> r =
        send(n.server().uri(), "POST", "/functions/" + revision + "/invoke", "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new Report(r.headers().firstValue("X-Thaw-Source").orElse(""), JSON.readTree(r.body()));
  }

  private void deploy(Node n, String revision, String image, boolean afterRestore)
      throws Exception {
    String body =
        "{\"image\":\""
            + image
            + "\",\"env\":[\"CONTRACT_B=deploy-b\",\"CONTRACT_C=deploy-c\"],"
            + "\"command\":[\"/usr/bin/python3\",\"/app/contract.py\"],"
            + "\"args\":[\"--from-deploy\",\"two words\"]"
            + (afterRestore ? ",\"hooks\":{\"afterRestore\":\"/after-restore\"}" : "")
            + "}";
    HttpResponse<String> r = send(n.server().uri(), "PUT", "/functions/" + revision, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** Boots {@code revision} on {@code n} with its first invocation and waits for its snapshot. */
  private Report bootAndSnapshot(Node n, String revision, RemoteSnapshotStore remote)
      throws Exception {
    Report boot = report(n, revision);
    assertThat(boot.source()).isEqualTo("none");
    await()
        .atMost(Duration.ofMinutes(2))
        .until(
            () ->
                remote.revisions().stream().anyMatch(r -> r.startsWith(revision + "@"))
                    && n.snapshots().cache().revisions().contains(revision)
                    && n.agent().instances().stream().anyMatch(i -> i.revision().equals(revision)));
    n.agent().stopIdle(Revision.of(revision));
    return boot;
  }

  /** The tokens of {@link #CLONES} clones restored one after another from the local cache. */
  private List<Report> localClones(Node n, String revision) throws Exception {
    List<Report> clones = new ArrayList<>();
    for (int i = 0; i < CLONES; i++) {
      Report clone = report(n, revision);
      assertThat(clone.source()).as("clone %d", i).isEqualTo("local");
      clones.add(clone);
      n.agent().stopIdle(Revision.of(revision));
    }
    return clones;
  }

  @Test
  void whatTheFunctionIsStartedWithHoldsAfterABootAndRestoresAndAfterRestoreRenewsItsToken()
      throws Exception {
    ExampleImages examples = ExampleImages.ensure(System.out::println);
    RegistryServer registry = keep(RegistryServer.start(dir.resolve("registry"), Optional.empty()));
    new LayoutPusher(registry.url(), "fn/contract").pushLayout(examples.contract(), "v1");
    String image = registry.host() + "/fn/contract:v1";
    EmbeddedS3Server s3 = keep(EmbeddedS3Server.start(dir.resolve("s3")));
    RemoteSnapshotStore remote =
        keep(
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder().server(s3).bucket("snapshots").build().ensureBucket())
                .build());
    Node n1 = node("n1", remote);
    Node n2 = node("n2", remote);

    deploy(n1, "contract", image, true);
    deploy(n2, "contract", image, true);
    FunctionSpec spec = n1.agent().functions().get("contract");
    assertThat(spec.image().hooks())
        .as("the deployment's afterRestore, the image label's beforeSnapshot")
        .isEqualTo(new FunctionHooks("/before-snapshot", "/after-restore"));

    Report boot = bootAndSnapshot(n1, "contract", remote);
    System.out.println("ContractIT: the booted function reports " + boot.json());
    assertContract(boot.json());
    assertThat(boot.calls("beforeSnapshot")).isZero();
    assertThat(boot.calls("afterRestore")).isZero();

    List<Report> clones = localClones(n1, "contract");
    Set<String> tokens = new LinkedHashSet<>();
    for (Report clone : clones) {
      assertContract(clone.json());
      assertSameHost(boot.json(), clone.json());
      assertThat(clone.calls("beforeSnapshot")).as("asked once, before the snapshot").isEqualTo(1);
      assertThat(clone.calls("afterRestore")).as("asked once, on this clone").isEqualTo(1);
      tokens.add(clone.token());
    }

    // Another node restores the snapshot from S3: the same contract, and a token of its own.
    Report fromRemote = report(n2, "contract");
    assertThat(fromRemote.source()).isEqualTo("remote");
    assertContract(fromRemote.json());
    assertSameHost(boot.json(), fromRemote.json());
    assertThat(fromRemote.calls("afterRestore")).isEqualTo(1);

    // The same image without the afterRestore hook: every clone keeps its snapshot's token.
    deploy(n1, "no-hook", image, false);
    assertThat(n1.agent().functions().get("no-hook").image().hooks())
        .isEqualTo(new FunctionHooks("/before-snapshot", null));
    Report plainBoot = bootAndSnapshot(n1, "no-hook", remote);
    Set<String> plainTokens = new LinkedHashSet<>();
    for (Report clone : localClones(n1, "no-hook")) {
      assertContract(clone.json());
      assertThat(clone.calls("afterRestore")).isZero();
      plainTokens.add(clone.token());
    }
    System.out.printf(
        "ContractIT: %d clones with afterRestore: %d distinct tokens (and the remote clone's %s);"
            + " without it: %d distinct%n",
        CLONES,
        tokens.size(),
        tokens.contains(fromRemote.token()) ? "one of them" : "another",
        plainTokens.size());
    assertThat(tokens).hasSize(CLONES).doesNotContain(boot.token(), fromRemote.token());
    assertThat(plainTokens).containsExactly(plainBoot.token());
  }

  /** What the deployment and the image say the function starts with. */
  private static void assertContract(JsonNode r) {
    JsonNode env = r.get("env");
    assertThat(env.get("CONTRACT_A").asString()).as("the image's Env").isEqualTo("image-a");
    assertThat(env.get("CONTRACT_B").asString()).as("--env overrides it").isEqualTo("deploy-b");
    assertThat(env.get("CONTRACT_C").asString()).as("--env adds one").isEqualTo("deploy-c");
    assertThat(env.get("PORT").asString()).isEqualTo("8080");
    assertThat(env.get("PATH").asString()).isEqualTo("/usr/local/bin:/usr/bin:/bin");
    assertThat(env.get("HOME").asString()).as("the named user's home").isEqualTo("/home/fn");
    assertThat(env.propertyNames())
        .as("nothing else")
        .containsExactlyInAnyOrder(
            "PATH",
            "PORT",
            "PYTHONUNBUFFERED",
            "PYTHONDONTWRITEBYTECODE",
            "CONTRACT_A",
            "CONTRACT_B",
            "CONTRACT_C",
            "HOME");
    for (String id : List.of("uid", "euid", "gid", "egid")) {
      assertThat(r.get(id).asInt()).as(id + " of USER fn").isEqualTo(1000);
    }
    assertThat(r.get("groups").values().stream().map(JsonNode::asInt).toList())
        .as("fn's supplementary group")
        .containsExactly(2000);
    assertThat(r.get("cwd").asString()).as("WorkingDir").isEqualTo("/srv/work");
    assertThat(r.get("argv").values().stream().map(JsonNode::asString).toList())
        .containsExactly("/app/contract.py", "--from-deploy", "two words");
    assertThat(r.get("cmdline").values().stream().map(JsonNode::asString).toList())
        .as("command replaces the entrypoint, args the cmd")
        .containsExactly("/usr/bin/python3", "/app/contract.py", "--from-deploy", "two words");
    assertThat(r.get("hostname").asString()).isNotBlank();
    long soft = r.get("nofile").get("soft").asLong();
    assertThat(soft).as("open files").isGreaterThanOrEqualTo(1024);
    assertThat(r.get("nofile").get("hard").asLong()).isGreaterThanOrEqualTo(soft);
    for (String fd : List.of("stdout", "stderr")) {
      assertThat(r.get(fd).get("open").asBoolean()).as(fd + " open").isTrue();
      assertThat(r.get(fd).get("writable").asBoolean()).as(fd + " writable").isTrue();
    }
  }

  /** A clone is the same host as the instance it was made from: its name and limits. */
  private static void assertSameHost(JsonNode boot, JsonNode clone) {
    assertThat(clone.get("hostname")).isEqualTo(boot.get("hostname"));
    assertThat(clone.get("nofile")).isEqualTo(boot.get("nofile"));
  }
}
