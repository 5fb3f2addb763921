package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The manifests in deploy/ start the Thaw image with command lines; each must parse with this
 * build's CLI, options and values included, or a deployment fails only once it runs.
 */
class DeployCommandLinesTest {
  private static final Path DEPLOY = Path.of("..", "deploy");

  /** The args of every container running the Thaw image, in every manifest. */
  private static List<List<String>> thawCommandLines() throws Exception {
    List<List<String>> found = new ArrayList<>();
    try (KubernetesClient client = new KubernetesClientBuilder().build();
        Stream<Path> files = Files.list(DEPLOY)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        List<HasMetadata> items;
        try (InputStream in = Files.newInputStream(file)) {
          items = client.load(in).items();
        }
        for (HasMetadata item : items) {
          Map<?, ?> tree = client.getKubernetesSerialization().convertValue(item, Map.class);
          for (Map<?, ?> c : containers(tree)) {
            if (String.valueOf(c.get("image")).startsWith("thaw:")) {
              List<String> args = new ArrayList<>();
              ((List<?>) c.get("args")).forEach(a -> args.add(String.valueOf(a)));
              found.add(args);
            }
          }
        }
      }
    }
    return found;
  }

  /** {@code spec.template.spec.containers} of a workload, empty for other kinds. */
  private static List<Map<?, ?>> containers(Map<?, ?> tree) {
    Object at = tree;
    for (String key : List.of("spec", "template", "spec", "containers")) {
      if (!(at instanceof Map<?, ?> m)) {
        return List.of();
      }
      at = m.get(key);
    }
    List<Map<?, ?>> out = new ArrayList<>();
    if (at instanceof List<?> list) {
      list.forEach(c -> out.add((Map<?, ?>) c));
    }
    return out;
  }

  @Test
  void everyThawContainerRunsACommandThisCliParses() throws Exception {
    List<String> commands = new ArrayList<>();
    for (List<String> args : thawCommandLines()) {
      CommandLine.ParseResult parsed;
      try {
        parsed = Thaw.commandLine().parseArgs(args.toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        throw new AssertionError("thaw " + args + ": " + e.getMessage(), e);
      }
      assertThat(parsed.hasSubcommand()).as("thaw %s names a command", args).isTrue();
      commands.add(parsed.subcommand().commandSpec().name());
    }
    // The agent on every node, the scheduler extender, the launcher in each function's pod
    // (a built-in and a function from an image).
    assertThat(commands).containsExactlyInAnyOrder("agent", "extender", "launcher", "launcher");
  }

  @Test
  void aMistypedOptionWouldBeCaught() {
    assertThatCode(
            () -> Thaw.commandLine().parseArgs("agent", "--mode=remote", "--cache-capacty=20GiB"))
        .isInstanceOf(CommandLine.ParameterException.class);
  }
}
