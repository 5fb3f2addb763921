package dev.thaw.node.snapshot.fill;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The HTTP client peers are read with: HTTP/1.1 (the peer routes speak no more), quick to connect.
 */
public final class PeerHttp {
  /** How long a connection to a peer may take. */
  public static final Duration CONNECT = Duration.ofMillis(500);

  private PeerHttp() {}

  /** A new client; one per node is enough. */
  public static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(CONNECT)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }
}
