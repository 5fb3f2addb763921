package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.thaw.core.function.EgressRule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The egress proxy over real sockets, without a VM: a client on its Unix socket (where a VM's
 * forward lands) and a destination listening on one of this host's non-loopback addresses, which
 * the test's policy treats as outside the node.
 */
class EgressProxyTest {
  @TempDir Path dir;

  private ServerSocket destination;
  private EgressProxy proxy;
  private final BlockingQueue<String> heads = new ArrayBlockingQueue<>(16);

  @BeforeEach
  void start() throws Exception {
    InetAddress address =
        NetworkInterface.networkInterfaces()
            .flatMap(NetworkInterface::inetAddresses)
            .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
            .findFirst()
            .orElse(null);
    assumeThat(address).as("a non-loopback IPv4 address on this host").isNotNull();
    destination = new ServerSocket();
    destination.bind(new InetSocketAddress(address, 0));
    Thread t = new Thread(this::serveDestination, "destination");
    t.setDaemon(true);
    t.start();
    int port = destination.getLocalPort();
    EgressPolicy policy =
        new EgressPolicy(
            List.of(EgressRule.parse("svc.example.com:" + port)),
            host -> {
              if (host.equals("svc.example.com")) {
                return new InetAddress[] {address};
              }
              throw new java.net.UnknownHostException(host);
            },
            a -> false);
    proxy = EgressProxy.start("test-vm", dir.resolve("egress.sock"), policy);
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    if (destination != null) {
      destination.close();
    }
  }

  /** Answers each connection with what it read of the request head, then "bye". */
  private void serveDestination() {
    while (!destination.isClosed()) {
      try (Socket s = destination.accept()) {
        s.setSoTimeout(2000);
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        int b;
        while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
          head.append((char) b);
        }
        heads.add(head.toString());
        OutputStream out = s.getOutputStream();
        out.write("HTTP/1.0 200 OK\r\n\r\nbye\n".getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        // closed
      }
    }
  }

  private String exchange(String request) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(dir.resolve("egress.sock")));
      c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(4096);
      StringBuilder got = new StringBuilder();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && c.read(buf) >= 0) {
        buf.flip();
        got.append(StandardCharsets.US_ASCII.decode(buf));
        buf.clear();
      }
      return got.toString();
    }
  }

  @Test
  void tunnelsAConnectToAnAllowedDestination() throws Exception {
    int port = destination.getLocalPort();
    String got =
        exchange("CONNECT svc.example.com:" + port + " HTTP/1.1\r\nHost: x\r\n\r\nPING\r\n\r\n");
    assertThat(got).startsWith("HTTP/1.1 200 Connection established\r\n\r\n").endsWith("bye\n");
    assertThat(heads.poll(5, TimeUnit.SECONDS)).isEqualTo("PING\r\n\r\n");
  }

  @Test
  void forwardsAPlainRequestInOriginFormWithoutProxyHeaders() throws Exception {
    int port = destination.getLocalPort();
    String got =
        exchange(
            "GET http://SVC.example.com:"
                + port
                + "/a/b?c=d HTTP/1.1\r\nHost: svc.example.com\r\nProxy-Connection: keep-alive\r\n"
                + "Proxy-Authorization: Basic eA==\r\nAccept: */*\r\n\r\n");
    assertThat(got).isEqualTo("HTTP/1.0 200 OK\r\n\r\nbye\n");
    assertThat(heads.poll(5, TimeUnit.SECONDS))
        .isEqualTo(
            "GET /a/b?c=d HTTP/1.1\r\nHost: svc.example.com\r\nAccept: */*\r\n"
                + "Connection: close\r\n\r\n");
  }

  @Test
  void refusesWhatNoRuleNamesAndWhatIsNotAProxyRequest() throws Exception {
    int port = destination.getLocalPort();
    assertThat(exchange("CONNECT svc.example.com:" + (port + 1) + " HTTP/1.1\r\n\r\n"))
        .startsWith("HTTP/1.1 403 Forbidden")
        .contains("not among the function's egress rules");
    assertThat(exchange("CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n\r\n"))
        .startsWith("HTTP/1.1 403");
    assertThat(exchange("GET /relative HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(exchange("HELLO\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(exchange("CONNECT nowhere HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(heads).isEmpty();
  }
}
