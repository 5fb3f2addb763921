package dev.thaw.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.Deflater;

/**
 * A small HTTP function on the JDK's own server: GET / answers a greeting, POST echoes the body,
 * GET /lookup?word=W answers from an index built at start, GET /count counts the calls this
 * instance has answered (state a snapshot carries to its clones).
 *
 * <p>Its start does the work a snapshot saves a JVM function: loading the classes a real handler
 * uses (HTTP, regular expressions, digests, compression, time, streams), building an in-memory
 * index of 20,000 entries, and running its handler until the JIT has compiled it. A line on stdout
 * says how long that took.
 */
public final class HelloFunction {
  private static final Pattern QUERY = Pattern.compile("&");
  private final Map<String, Entry> index = new HashMap<>();
  private final TreeMap<String, Integer> ranks = new TreeMap<>();
  private final AtomicLong calls = new AtomicLong();

  record Entry(int rank, int packed) {}

  record Answer(int status, byte[] body) {}

  HelloFunction() throws NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    Deflater deflater = new Deflater();
    byte[] out = new byte[256];
    for (int i = 0; i < 20_000; i++) {
      String word =
          HexFormat.of()
              .formatHex(sha.digest(("word-" + i).getBytes(StandardCharsets.UTF_8)))
              .substring(0, 12);
      deflater.reset();
      deflater.setInput(word.repeat(4).getBytes(StandardCharsets.UTF_8));
      deflater.finish();
      index.put(word, new Entry(i, deflater.deflate(out)));
      ranks.put(word, i);
    }
    deflater.end();
  }

  Answer handle(String method, String path, String query, byte[] body) {
    if (method.equals("POST")) {
      return new Answer(200, body);
    }
    if (path.equals("/lookup")) {
      String word = parameters(query).getOrDefault("word", "");
      Entry hit = index.get(word);
      return hit == null
          ? new Answer(404, bytes("no such word\n"))
          : new Answer(200, bytes(word + " " + hit.rank() + " " + hit.packed() + "\n"));
    }
    if (path.equals("/count")) {
      return new Answer(200, bytes(calls.incrementAndGet() + "\n"));
    }
    return new Answer(200, bytes("hello from java\n"));
  }

  private static Map<String, String> parameters(String query) {
    if (query == null || query.isEmpty()) {
      return Map.of();
    }
    return QUERY
        .splitAsStream(query)
        .map(p -> p.split("=", 2))
        .collect(
            Collectors.toMap(
                p -> URLDecoder.decode(p[0], StandardCharsets.UTF_8),
                p -> p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "",
                (a, b) -> b));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Answer a =
          handle(
              exchange.getRequestMethod(),
              exchange.getRequestURI().getPath(),
              exchange.getRequestURI().getRawQuery(),
              body);
      exchange.getResponseHeaders().set("Content-Type", "text/plain");
      exchange.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(a.body());
      }
    }
  }

  public static void main(String[] args) throws Exception {
    Instant started = Instant.now();
    HelloFunction function = new HelloFunction();
    // Warm-up: the handler's paths run until the JIT has compiled them.
    String first = function.ranks.firstKey();
    for (int i = 0; i < 5_000; i++) {
      function.handle("GET", "/lookup", "word=" + first, null);
      function.handle("GET", "/", null, null);
    }
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
    server.createContext("/", function::serve);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.printf(
        "java function listening on :%d (started in %d ms)%n",
        port, Duration.between(started, Instant.now()).toMillis());
  }
}
