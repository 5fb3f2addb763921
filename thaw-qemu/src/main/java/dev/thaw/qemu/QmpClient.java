package dev.thaw.qemu;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * A QMP (QEMU Machine Protocol) client: JSON objects, one per line, over a Unix socket.
 *
 * <p>QEMU greets, we negotiate capabilities, then each command gets exactly one {@code return} or
 * {@code error} reply; asynchronous events may arrive in between and are skipped. Commands are sent
 * one at a time.
 */
final class QmpClient implements Closeable {
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private final SocketChannel channel;
  private final BufferedReader in;
  private final Writer out;

  private QmpClient(SocketChannel channel) {
    this.channel = channel;
    this.in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    this.out = Channels.newWriter(channel, StandardCharsets.UTF_8);
  }

  /** Reads QEMU's greeting on a freshly connected channel and leaves negotiation mode. */
  static QmpClient open(SocketChannel channel) throws IOException {
    QmpClient client = new QmpClient(channel);
    JsonNode greeting = client.readMessage();
    if (!greeting.has("QMP")) {
      client.close();
      throw new IOException("not a QMP greeting: " + greeting);
    }
    client.execute("qmp_capabilities", Map.of());
    return client;
  }

  /**
   * Runs one command and returns its {@code return} value.
   *
   * @throws QmpException when QEMU answers with an error
   * @throws IOException when the connection fails (QEMU died)
   */
  synchronized JsonNode execute(String command, Map<String, ?> arguments) throws IOException {
    Map<String, Object> message =
        arguments.isEmpty()
            ? Map.of("execute", command)
            : Map.of("execute", command, "arguments", arguments);
    out.write(JSON.writeValueAsString(message));
    out.write('\n');
    out.flush();
    while (true) {
      JsonNode reply = readMessage();
      if (reply.has("return")) {
        return reply.get("return");
      }
      if (reply.has("error")) {
        JsonNode error = reply.get("error");
        throw new QmpException(
            command, error.path("class").asString(), error.path("desc").asString());
      }
      // An event ({"event": ...}); nothing here waits for one.
    }
  }

  private JsonNode readMessage() throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new IOException("QMP connection closed by QEMU");
    }
    return JSON.readTree(line);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
