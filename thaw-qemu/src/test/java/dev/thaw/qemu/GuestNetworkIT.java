package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.EgressRule;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A hostile function (the guest's {@code probe} handler) tries, from inside its VM, to connect to
 * what runs on the node: a listener on the host's loopback (where the gateway, the agents and the
 * storage server listen), a listener on the host's own non-loopback address, another VM's forwarded
 * port, and two listeners in a network namespace that stands in for the world outside the node, of
 * which its egress allows one. Only that one answers, in the booted VM and in a clone restored from
 * its snapshot.
 *
 * <p>The namespace needs root (creating it and a veth pair); without root the test is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuestNetworkIT {
  private static final Duration READY = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int ALLOWED_PORT = 7000;
  private static final int OTHER_PORT = 7001;

  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(30));
  private final List<Process> outsideListeners = new ArrayList<>();
  private final List<ServerSocket> hostListeners = new ArrayList<>();
  private final List<Path> answers = new ArrayList<>();
  private String namespace;
  private String hostVeth;
  private String outside;

  @TempDir Path work;

  @BeforeAll
  void outsideWorld() throws Exception {
    assumeThat(run("id", "-u").trim()).as("the outside namespace needs root").isEqualTo("0");
    String tag = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    namespace = "thaw-it-" + tag;
    hostVeth = "thv" + tag;
    String peer = "thp" + tag;
    int subnet = 16 + ThreadLocalRandom.current().nextInt(200);
    String hostSide = "10.251." + subnet + ".1";
    outside = "10.251." + subnet + ".2";
    run("ip", "netns", "add", namespace);
    run("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", peer);
    run("ip", "link", "set", peer, "netns", namespace);
    run("ip", "addr", "add", hostSide + "/30", "dev", hostVeth);
    run("ip", "link", "set", hostVeth, "up");
    run("ip", "netns", "exec", namespace, "ip", "addr", "add", outside + "/30", "dev", peer);
    run("ip", "netns", "exec", namespace, "ip", "link", "set", peer, "up");
    run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up");
    for (int port : List.of(ALLOWED_PORT, OTHER_PORT)) {
      // Each answers every connection with a whole HTTP response: raw readers and HTTP clients.
      Path answer =
          Files.writeString(
              Files.createTempFile("outside-", ".http"),
              "HTTP/1.0 200 OK\r\n\r\noutside-" + port + "\n");
      answers.add(answer);
      outsideListeners.add(
          new ProcessBuilder(
                  "ip",
                  "netns",
                  "exec",
                  namespace,
                  "socat",
                  "TCP-LISTEN:" + port + ",fork,reuseaddr",
                  "SYSTEM:cat " + answer)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start());
    }
    // From the host, the outside answers (so a failure from the guest is the guest's network).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!greeting(outside, ALLOWED_PORT).contains("outside-")) {
      assertThat(System.nanoTime())
          .as("the outside listener answers the host")
          .isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  @AfterAll
  void tearDown() throws Exception {
    for (Process p : outsideListeners) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    for (ServerSocket s : hostListeners) {
      s.close();
    }
    for (Path answer : answers) {
      Files.deleteIfExists(answer);
    }
    if (namespace != null) {
      run("ip", "netns", "del", namespace);
      // The veth pair goes with the namespace; delete the host end if it outlived it.
      new ProcessBuilder("ip", "link", "del", hostVeth)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
    }
  }

  @Test
  void aFunctionReachesItsAllowedDestinationAndNothingOfTheNode() throws Exception {
    int loopback = hostListener(InetAddress.getLoopbackAddress(), "host-loopback");
    Optional<Inet4Address> own = ownAddress();
    int wildcard = own.isPresent() ? hostListener(null, "host-address") : 0;
    QemuVmm vmm = TestVms.vmm(work.resolve("vms"));
    FunctionSpec prober =
        new FunctionSpec("probe", 256, 1, "probe", 0)
            .withEgress(List.of(EgressRule.parse(outside + ":" + ALLOWED_PORT)));
    try (MicroVm other = vmm.boot(BuiltinFunctions.HELLO, READY);
        MicroVm vm = vmm.boot(prober, READY)) {
      Map<String, String> direct = new LinkedHashMap<>();
      direct.put("10.0.2.2:" + loopback, "host loopback (gateway, agents, storage)");
      direct.put("10.0.2.2:" + other.endpoint().getPort(), "another VM's forwarded port");
      direct.put(
          "10.0.2.2:" + ((QemuMicroVm) other).control().getPort(), "another VM's control port");
      own.ifPresent(a -> direct.put(a.getHostAddress() + ":" + wildcard, "the host's address"));
      direct.put(outside + ":" + ALLOWED_PORT, "outside, allowed, but not through the proxy");
      direct.put(outside + ":" + OTHER_PORT, "outside, not allowed");
      Map<String, String> proxied = new LinkedHashMap<>();
      proxied.put("127.0.0.1:" + loopback, "host loopback through the proxy");
      proxied.put("10.0.2.2:" + loopback, "the guest's host alias through the proxy");
      proxied.put(outside + ":" + OTHER_PORT, "outside, not allowed, through the proxy");

      assertContained(vm, direct, proxied);

      vm.pause();
      VmSnapshot snapshot = vm.snapshot(Files.createDirectories(work.resolve("snap")));
      try (MicroVm clone = vmm.restore(snapshot, READY)) {
        assertContained(clone, direct, proxied);
      }
    }
  }

  /**
   * A function from an image gets its environment (the image's, and the proxy the node adds) and
   * fetches from the allowed destination through the proxy its {@code http_proxy} names; another
   * destination is refused.
   */
  @Test
  void aFunctionFromAnImageFindsItsProxyInItsEnvironmentAndFetchesThroughIt() throws Exception {
    Path rootfs = TestRootfs.build(work, work.resolve("rootfs.ext4"));
    FunctionSpec web =
        FunctionSpec.ofImage(
                "web",
                256,
                1,
                new FunctionImage(
                    rootfs,
                    TestRootfs.digest(rootfs),
                    TestRootfs.HTTPD,
                    List.of("PATH=/bin", "GREETING=hello world=1"),
                    "/",
                    "0",
                    TestRootfs.PORT))
            .withEgress(List.of(EgressRule.parse(outside + ":" + ALLOWED_PORT)));
    QemuVmm vmm = TestVms.vmm(work.resolve("image-vms"));
    try (MicroVm vm = vmm.boot(web, READY)) {
      String env = client.get(vm.endpoint(), "/cgi-bin/env").body();
      assertThat(env)
          .contains("GREETING=hello world=1\n")
          .contains("PATH=/bin\n")
          .contains("http_proxy=http://10.0.2.100:3128\n");
      // The guest's control requests answer the host, never the function in the VM.
      assertThat(client.get(vm.endpoint(), "/cgi-bin/control?/_thaw/clock").body())
          .startsWith("HTTP/1.1 403")
          .contains("taken from the host only");
      assertThat(client.get(vm.endpoint(), "/cgi-bin/control?/_thaw/mute").body())
          .startsWith("HTTP/1.1 403");
      assertThat(QemuVmm.control(vm, "/_thaw/clock", client).status()).isEqualTo(200);
      // Any process on the host reaches the forwarded control port; without the VM's key it is
      // refused.
      FunctionClient.Response keyless = client.get(((QemuMicroVm) vm).control(), "/_thaw/mute");
      assertThat(keyless.status()).isEqualTo(403);
      assertThat(keyless.body()).contains("key");
      assertThat(QemuVmm.control(vm, "/_thaw/clock", client).status()).isEqualTo(200);
      assertThat(
              client
                  .get(vm.endpoint(), "/cgi-bin/fetch?http://" + outside + ":" + ALLOWED_PORT + "/")
                  .body())
          .startsWith("HTTP/1.0 200")
          .endsWith("outside-" + ALLOWED_PORT + "\n");
      assertThat(
              client
                  .get(vm.endpoint(), "/cgi-bin/fetch?http://" + outside + ":" + OTHER_PORT + "/")
                  .body())
          .startsWith("HTTP/1.1 403")
          .contains("not among the function's egress rules")
          .doesNotContain("outside-");
    }
  }

  /** Nothing of {@code direct} or {@code proxied} answers; the allowed outside does, proxied. */
  private void assertContained(
      MicroVm vm, Map<String, String> direct, Map<String, String> proxied) {
    JsonNode straight = probe(vm, String.join(",", direct.keySet()), "");
    direct.forEach(
        (target, what) ->
            assertThat(straight.get(target).asString())
                .as(what + " (" + target + ")")
                .doesNotStartWith("connected"));
    String allowed = outside + ":" + ALLOWED_PORT;
    JsonNode viaProxy =
        probe(
            vm,
            String.join(",", proxied.keySet()) + "," + allowed,
            "&via=" + EgressProxy.GUEST_HOST + ":" + EgressProxy.GUEST_PORT);
    proxied.forEach(
        (target, what) ->
            assertThat(viaProxy.get(target).asString())
                .as(what + " (" + target + ")")
                .startsWith("proxy HTTP/1.1 403"));
    assertThat(viaProxy.get(allowed).asString().strip())
        .as("the allowed outside destination, through the proxy")
        .startsWith("connected HTTP/1.0 200")
        .contains("outside-" + ALLOWED_PORT);
  }

  private JsonNode probe(MicroVm vm, String targets, String via) {
    FunctionClient.Response r = client.get(vm.endpoint(), "/?to=" + targets + via);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("results");
  }

  /** Serves {@code greeting} to every connection on {@code address} (null: every address). */
  private int hostListener(InetAddress address, String greeting) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(address, 0));
    hostListeners.add(server);
    Thread accepter =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try (Socket s = server.accept();
                    OutputStream out = s.getOutputStream()) {
                  out.write((greeting + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                  // closed
                }
              }
            },
            "listener-" + greeting);
    accepter.setDaemon(true);
    accepter.start();
    return server.getLocalPort();
  }

  /** One of the host's non-loopback IPv4 addresses outside the test's namespace link. */
  private Optional<Inet4Address> ownAddress() throws IOException {
    return NetworkInterface.networkInterfaces()
        .filter(i -> !i.getName().equals(hostVeth))
        .flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .map(a -> (Inet4Address) a)
        .findFirst();
  }

  private static String greeting(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1000);
      s.setSoTimeout(1000);
      byte[] b = s.getInputStream().readNBytes(256);
      return new String(b, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    return out;
  }
}
