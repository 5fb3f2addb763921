package dev.thaw.node.logs;

import dev.thaw.core.io.FileTrees;
import dev.thaw.core.logs.LogSink;
import dev.thaw.core.logs.LogStream;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A node's function logs: every line its functions' instances write, kept on disk per function
 * within a size cap, old instances' lines included, so the output of a crashed or stopped instance
 * stays readable.
 *
 * <p>Format: {@code DIR/FUNCTION/current.jsonl} and {@code previous.jsonl}, one JSON object per
 * line: {@code {"t":NANOS,"i":"INSTANCE","s":"stdout","m":"TEXT"}} with {@code t} the time the host
 * read the line, in ns since the epoch, strictly increasing on the node. When {@code current} would
 * pass half the cap it becomes {@code previous} (the older one is dropped), so a function's logs
 * never take more than the cap and always hold at least the last half of it. A line cut short by a
 * crash is skipped when read.
 */
public final class LogStore implements LogSink {
  private static final Logger log = LoggerFactory.getLogger(LogStore.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CURRENT = "current.jsonl";
  private static final String PREVIOUS = "previous.jsonl";

  /** Default cap of one function's logs on a node. */
  public static final long DEFAULT_CAP_BYTES = 8L << 20;

  private final Path dir;
  private final String node;
  private final long capBytes;
  private final LongSupplier clock;
  private final AtomicLong last = new AtomicLong();
  private final Map<String, Segments> functions = new ConcurrentHashMap<>();

  /**
   * @param dir where the logs are (created)
   * @param node the node's name, in every line read
   * @param capBytes the most one function's logs take (1 MiB or more)
   * @param clock the time now, in ns since the epoch
   */
  public LogStore(Path dir, String node, long capBytes, LongSupplier clock) {
    if (capBytes < (1 << 20)) {
      throw new IllegalArgumentException("a log cap is 1 MiB or more: " + capBytes);
    }
    this.dir = Objects.requireNonNull(dir);
    this.node = Objects.requireNonNull(node);
    this.capBytes = capBytes;
    this.clock = clock;
  }

  /** A store on the wall clock. */
  public LogStore(Path dir, String node, long capBytes) {
    this(dir, node, capBytes, LogStore::epochNanos);
  }

  private static long epochNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  @Override
  public void line(String function, String instance, LogStream stream, String text) {
    Segments s = segments(function);
    synchronized (s) {
      if (s.deleted) {
        return; // the function was deleted while this line waited: it goes with its logs
      }
      long t = last.updateAndGet(prev -> Math.max(prev + 1, clock.getAsLong()));
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("t", t);
      entry.put("i", instance);
      entry.put("s", stream.label());
      entry.put("m", text);
      try {
        s.append((JSON.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (IOException | JacksonException e) {
        log.warn("cannot keep a line of {}: {}", function, e.getMessage());
      }
    }
  }

  /** The lines of {@code function} that {@code query} asks for, oldest first. */
  public List<LogLine> read(String function, LogQuery query) {
    Segments s = segments(function);
    int limit = query.tail().orElse(LogQuery.MAX_LINES);
    // Without a tail, a follower (after given) pages forward; anyone else gets the last lines.
    boolean first = query.tail().isEmpty() && query.after() > 0;
    Deque<LogLine> out = new ArrayDeque<>();
    synchronized (s) {
      for (Path file : List.of(s.dir.resolve(PREVIOUS), s.dir.resolve(CURRENT))) {
        if (!Files.exists(file)) {
          continue;
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          String json;
          while ((json = r.readLine()) != null) {
            LogLine line = parse(json);
            if (line == null || !query.admits(line.time())) {
              continue;
            }
            if (first && out.size() == limit) {
              return List.copyOf(out);
            }
            out.addLast(line);
            if (!first && out.size() > limit) {
              out.removeFirst();
            }
          }
        } catch (IOException e) {
          log.warn("cannot read the logs of {}: {}", function, e.getMessage());
        }
      }
    }
    return List.copyOf(out);
  }

  /** Drops every line of {@code function} (it was deleted). */
  public void delete(String function) {
    Segments s = segments(function);
    synchronized (s) {
      s.deleted = true;
      s.close();
      FileTrees.deleteQuietly(s.dir);
      functions.remove(function);
    }
  }

  /** Bytes {@code function}'s logs take on disk. */
  public long bytes(String function) {
    Segments s = segments(function);
    synchronized (s) {
      long n = 0;
      for (String f : List.of(CURRENT, PREVIOUS)) {
        try {
          n += Files.exists(s.dir.resolve(f)) ? Files.size(s.dir.resolve(f)) : 0;
        } catch (IOException e) {
          // gone meanwhile
        }
      }
      return n;
    }
  }

  private LogLine parse(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      return new LogLine(
          n.get("t").asLong(),
          node,
          n.get("i").asString(),
          n.get("s").asString(),
          n.get("m").asString());
    } catch (JacksonException | NullPointerException | IllegalArgumentException e) {
      return null; // a line cut short by a crash
    }
  }

  private Segments segments(String function) {
    if (!function.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new IllegalArgumentException("not a function id: '" + function + "'");
    }
    return functions.computeIfAbsent(function, f -> new Segments(dir.resolve(f)));
  }

  /** One function's two files; guarded by its own monitor. */
  private final class Segments {
    final Path dir;
    private FileChannel current;
    private long size;

    /** Set by {@link #delete}: a writer that got these segments before then writes nothing. */
    boolean deleted;

    Segments(Path dir) {
      this.dir = dir;
    }

    void append(byte[] line) throws IOException {
      if (current == null) {
        Files.createDirectories(dir);
        open();
      }
      if (size > 0 && size + line.length > capBytes / 2) {
        current.close();
        Files.move(
            dir.resolve(CURRENT), dir.resolve(PREVIOUS), StandardCopyOption.REPLACE_EXISTING);
        open();
      }
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) {
        current.write(b);
      }
      size += line.length;
    }

    private void open() throws IOException {
      current =
          FileChannel.open(
              dir.resolve(CURRENT),
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      size = current.size();
      current.position(size);
      if (size > 0) {
        // A line cut short by a crash: the next one starts on a line of its own.
        ByteBuffer lastByte = ByteBuffer.allocate(1);
        current.read(lastByte, size - 1);
        if (lastByte.get(0) != '\n') {
          current.write(ByteBuffer.wrap(new byte[] {'\n'}));
          size++;
        }
      }
    }

    void close() {
      if (current != null) {
        try {
          current.close();
        } catch (IOException e) {
          // closing
        }
        current = null;
      }
    }
  }
}
