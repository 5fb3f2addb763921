package dev.thaw.node.gateway;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.DeployBody;
import dev.thaw.node.protocol.ImageDeployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the gateway has deployed, by revision: what it was asked to deploy (a {@link FunctionSpec}
 * or an {@link ImageDeployment}) and the function a node made of it. Kept in memory, and, when
 * given a file, written there after every change so that a restarted gateway deploys them again.
 *
 * <p>The file, version 1:
 *
 * <pre>
 * {"version": 1, "functions": {"hello": {"deployment": {"image": "…"}, "function": {…}}}}
 * </pre>
 *
 * {@code deployment} is the body of {@code PUT /functions/{revision}} as {@link DeployBody} reads
 * it; {@code function} the {@link FunctionSpec} a node deployed. The file is replaced by an atomic
 * rename of a complete, synced copy, so a crash leaves the old or the new list, never half of one.
 */
public final class Deployments {
  /** The format version written and read. */
  public static final int VERSION = 1;

  /**
   * One deployed revision.
   *
   * @param revision its name
   * @param deployment what was deployed: a {@link FunctionSpec} or an {@link ImageDeployment}
   * @param function the function a node made of it
   */
  public record Entry(String revision, Object deployment, FunctionSpec function) {
    public Entry {
      Objects.requireNonNull(revision, "revision");
      Objects.requireNonNull(deployment, "deployment");
      Objects.requireNonNull(function, "function");
    }

    /** The image reference it was deployed from; empty for a built-in function. */
    public Optional<String> image() {
      return deployment instanceof ImageDeployment i ? Optional.of(i.image()) : Optional.empty();
    }
  }

  private final Optional<Path> file;
  private final Map<String, Entry> entries = new TreeMap<>();

  private Deployments(Optional<Path> file) {
    this.file = file;
  }

  /** Deployments kept in memory only. */
  public static Deployments inMemory() {
    return new Deployments(Optional.empty());
  }

  /**
   * Deployments kept in {@code file}, read from it when it exists.
   *
   * @throws IOException when it cannot be read, or is not a version-1 list
   */
  public static Deployments at(Path file) throws IOException {
    Deployments d = new Deployments(Optional.of(file));
    if (Files.exists(file)) {
      d.read(file);
    }
    return d;
  }

  private void read(Path path) throws IOException {
    try {
      JsonNode root = AgentClient.JSON.readTree(Files.readAllBytes(path));
      if (root == null || !root.path("version").isInt() || root.get("version").asInt() != VERSION) {
        throw new IOException(path + " is not a version-" + VERSION + " list of deployments");
      }
      for (Map.Entry<String, JsonNode> e : root.path("functions").properties()) {
        Revision.of(e.getKey());
        Object deployment =
            DeployBody.parse(AgentClient.JSON.writeValueAsBytes(e.getValue().get("deployment")));
        FunctionSpec function =
            AgentClient.JSON.treeToValue(e.getValue().get("function"), FunctionSpec.class);
        entries.put(e.getKey(), new Entry(e.getKey(), deployment, function));
      }
    } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
      throw new IOException("cannot read the deployments in " + path + ": " + e.getMessage(), e);
    }
  }

  /** Records (or replaces) {@code revision}, and writes the file. */
  public synchronized void put(Revision revision, Object deployment, FunctionSpec function) {
    entries.put(revision.value(), new Entry(revision.value(), deployment, function));
    write();
  }

  /** Forgets {@code revision}, and writes the file; whether it was recorded. */
  public synchronized boolean remove(Revision revision) {
    boolean was = entries.remove(revision.value()) != null;
    if (was) {
      write();
    }
    return was;
  }

  /** Every deployment, by revision name. */
  public synchronized List<Entry> all() {
    return new ArrayList<>(entries.values());
  }

  public synchronized Optional<Entry> get(Revision revision) {
    return Optional.ofNullable(entries.get(revision.value()));
  }

  private void write() {
    if (file.isEmpty()) {
      return;
    }
    Path path = file.get();
    ObjectNode root = AgentClient.JSON.createObjectNode();
    root.put("version", VERSION);
    ObjectNode functions = root.putObject("functions");
    entries.forEach(
        (name, e) -> {
          ObjectNode o = functions.putObject(name);
          o.set("deployment", AgentClient.JSON.valueToTree(e.deployment()));
          o.set("function", AgentClient.JSON.valueToTree(e.function()));
        });
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    try {
      Files.createDirectories(path.toAbsolutePath().getParent());
      Files.write(tmp, AgentClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        c.force(true);
      }
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the deployments to " + path, e);
    }
  }
}
