package dev.thaw.bench.warm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One path a warm invocation takes in {@code thaw bench warm}, timed from sending the request to
 * having read the whole answer, on a kept-alive connection or on a connection of its own.
 *
 * @param name the path's name, which its rows carry
 * @param base where the path starts
 * @param method the request's HTTP method
 * @param target the request's target (origin-form)
 * @param headers extra header lines, each ending in CRLF
 */
record WarmPath(String name, URI base, String method, String target, String headers) {
  /** One request through {@code http}, which keeps its connection alive between requests. */
  double timeKeptAlive(HttpClient http) throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(target))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30));
    headers
        .lines()
        .forEach(
            h -> {
              int colon = h.indexOf(':');
              b.header(h.substring(0, colon), h.substring(colon + 1).strip());
            });
    HttpRequest r = b.build();
    long t0 = System.nanoTime();
    HttpResponse<byte[]> answer = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
    double ms = (System.nanoTime() - t0) / 1e6;
    if (answer.statusCode() != 200) {
      throw new IOException(name + " answered " + answer.statusCode());
    }
    return ms;
  }

  /** One request on a connection of its own ({@code Connection: close}), read to the end. */
  double timeNewConnection() throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket(base.getHost(), base.getPort())) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(30_000);
      OutputStream o = s.getOutputStream();
      o.write(
          (method
                  + " "
                  + target
                  + " HTTP/1.1\r\nHost: "
                  + base.getHost()
                  + "\r\n"
                  + headers
                  + "Content-Length: 0\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      o.flush();
      InputStream in = s.getInputStream();
      byte[] all = in.readAllBytes();
      double ms = (System.nanoTime() - t0) / 1e6;
      String head = new String(all, 0, Math.min(all.length, 12), StandardCharsets.US_ASCII);
      if (!head.startsWith("HTTP/1.1 200")) {
        throw new IOException(name + " answered '" + head + "'");
      }
      return ms;
    }
  }
}
