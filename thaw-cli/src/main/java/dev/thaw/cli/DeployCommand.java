package dev.thaw.cli;

import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.ImageDeployment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code thaw deploy}: deploys a function from an image through a running gateway. */
@Command(
    name = "deploy",
    mixinStandardHelpOptions = true,
    description = {
      "Deploys a function from an OCI image on every node of a running gateway (thaw serve).",
      "The image is a registry reference, an OCI image layout directory or an image tarball",
      "(as seen from the nodes), or --example python|node|java for one of the project's own."
    })
final class DeployCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GatewayOption gateway;

  @Parameters(index = "0", paramLabel = "NAME", description = "The function's name.")
  String name;

  static final class Source {
    @Option(names = "--image", required = true, paramLabel = "REF", description = "The image.")
    String image;

    @Option(
        names = "--example",
        required = true,
        paramLabel = "NAME",
        description =
            "An image the project builds, built on first use: python, node or java (each greets"
                + " on GET and echoes POST bodies; node and java get 384 and 512 MiB of memory"
                + " unless --memory-mib says otherwise).")
    String example;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(
      names = "--port",
      description = "The port the function listens on (default: the image's, else 8080).")
  Integer port;

  @Option(
      names = "--env",
      paramLabel = "K=V",
      description = "An environment variable for the function; repeatable.")
  List<String> env = new ArrayList<>();

  @Option(
      names = "--egress",
      paramLabel = "HOST:PORT",
      description = {
        "A destination outside the node the function may connect to, through the proxy its",
        "HTTP_PROXY/HTTPS_PROXY name; repeatable. Default: none (the function reaches nothing)."
      })
  List<String> egress = new ArrayList<>();

  @Option(
      names = "--memory-mib",
      description = "Guest memory in MiB (default: " + ImageDeployment.DEFAULT_MEMORY_MIB + ").")
  Integer memoryMib;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description = {
        "How long an invocation may wait for the function's answer: seconds, as 30, 30s or 2m,",
        "up to 15m (default: 60s). Past it the caller gets 504 and the instance is replaced."
      })
  String timeout;

  @Option(
      names = "--before-snapshot",
      paramLabel = "PATH",
      description = {
        "A path on the function's port the node GETs before it pauses the function for its",
        "snapshot; a failure (not 2xx, or no answer within 10 s) means no snapshot this time.",
        "Default: the image's label " + FunctionHooks.BEFORE_SNAPSHOT_LABEL + ", else none."
      })
  String beforeSnapshot;

  @Option(
      names = "--after-restore",
      paramLabel = "PATH",
      description = {
        "A path on the function's port the node GETs on every clone restored from its snapshot,",
        "before the clone's first request; a failure (not 2xx, or no answer within 10 s) stops",
        "the clone and the cold start boots. Default: the image's label",
        FunctionHooks.AFTER_RESTORE_LABEL + ", else none."
      })
  String afterRestore;

  @Override
  public Integer call() {
    ImageDeployment deployment = deployment();
    try {
      JsonNode answer = gateway.client().deploy(name, deployment);
      List<String> on = new ArrayList<>();
      String digest = "";
      for (Map.Entry<String, JsonNode> n : answer.path("nodes").properties()) {
        JsonNode f = n.getValue().path("function");
        if (f.isObject()) {
          on.add(n.getKey());
          digest = f.path("image").path("digest").asString("");
        } else {
          System.err.printf("  %s: %s%n", n.getKey(), n.getValue().path("error").asString(""));
        }
      }
      System.out.printf("deployed %s (%s) on %s%n", name, digest, String.join(", ", on));
      return 0;
    } catch (GatewayClient.Failure e) {
      System.err.println("thaw deploy: " + e.getMessage());
      return 1;
    }
  }

  /**
   * Whole seconds from {@code 30}, {@code 30s} or {@code 2m}.
   *
   * @throws IllegalArgumentException for anything else, or a timeout out of a function's bounds
   */
  static int timeoutSeconds(String value) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d{1,6})([sm]?)").matcher(value.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--timeout takes seconds, as 30, 30s or 2m, not '" + value + "'");
    }
    int n = Integer.parseInt(m.group(1));
    return FunctionSpec.checkTimeoutSeconds(m.group(2).equals("m") ? n * 60 : n);
  }

  ImageDeployment deployment() {
    String image = source.image;
    Integer memory = memoryMib;
    if (source.example != null) {
      ExampleFunction example =
          ExampleFunction.byId(source.example)
              .orElseThrow(
                  () ->
                      new ParameterException(
                          spec.commandLine(),
                          "--example knows "
                              + ExampleFunction.names()
                              + ", not '"
                              + source.example
                              + "'"));
      // The layout is a directory on this machine, which the agents of `thaw serve` share.
      image = example.layout(System.err::println).toAbsolutePath().toString();
      if (memory == null) {
        memory = example.memoryMib();
      }
    }
    try {
      Revision.of(name);
      for (String e : env) {
        if (e.indexOf('=') < 1) {
          throw new IllegalArgumentException("--env takes NAME=value, not '" + e + "'");
        }
      }
      if (port != null && (port < 1 || port > 65535)) {
        throw new IllegalArgumentException("--port must be within 1..65535: " + port);
      }
      if (memoryMib != null && (memoryMib < 64 || memoryMib > 65536)) {
        throw new IllegalArgumentException("--memory-mib must be within 64..65536: " + memoryMib);
      }
      ImageDeployment d =
          new ImageDeployment(image, port, env.isEmpty() ? null : env, null, null, memory, null)
              .withEgress(egress)
              .withTimeoutSeconds(timeout == null ? null : timeoutSeconds(timeout))
              .withHooks(new FunctionHooks(beforeSnapshot, afterRestore));
      d.egressRules(); // a malformed or refused rule is the caller's mistake: say so here
      return d;
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
