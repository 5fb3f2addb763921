package dev.thaw.node.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.thaw.core.function.EgressRule;
import dev.thaw.core.function.FunctionHooks;
import dev.thaw.core.function.FunctionSpec;
import java.util.List;
import java.util.Objects;

/**
 * A function given as an OCI image, with what a Knative Service's container sets: the body of
 * {@code PUT /functions/{revision}} on the agent and the gateway when it has an {@code image}
 * string. The node turns it into a {@code FunctionSpec} (see {@code ImageFunctions}).
 *
 * <pre>
 * {"image": "127.0.0.1:5000/fn/python:v1", "port": 8080, "env": ["GREETING=hi"],
 *  "command": ["/usr/bin/python3"], "args": ["/app/server.py"], "memoryMib": 256, "vcpus": 1,
 *  "egress": ["api.example.com:443"], "timeoutSeconds": 30,
 *  "hooks": {"beforeSnapshot": "/prepare", "afterRestore": "/renew"}}
 * </pre>
 *
 * Every field but {@code image} may be left out. As in Kubernetes, {@code command} replaces the
 * image's entrypoint and {@code args} its cmd; a {@code command} without {@code args} drops the
 * image's cmd. {@code env} entries override the image's of the same name.
 *
 * @param image an image reference: a registry reference ({@code host:port/name:tag} or {@code
 *     name@sha256:…}), an OCI image layout directory or an image tarball on the node
 * @param port the TCP port the function listens on; null: the one port the image exposes, else 8080
 *     (Knative's default)
 * @param env {@code NAME=value} entries; null for none
 * @param command replaces the image's entrypoint; null keeps it
 * @param args replaces the image's cmd; null keeps it (unless {@code command} is given)
 * @param memoryMib guest memory; null: {@value #DEFAULT_MEMORY_MIB}
 * @param vcpus virtual CPUs; null: 1
 * @param egress the destinations outside the node the function may connect to, {@code HOST:PORT}
 *     each (see {@code EgressRule}), through the proxy its environment names; null or empty: none
 * @param timeoutSeconds how long an invocation waits for the function's answer (see {@code
 *     FunctionSpec#timeout}), 1..900; null: 60
 * @param hooks the paths asked around the function's snapshot (see {@link FunctionHooks}); each
 *     left out is the image's label's, if it has one; null: the image's
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageDeployment(
    String image,
    Integer port,
    List<String> env,
    List<String> command,
    List<String> args,
    Integer memoryMib,
    Integer vcpus,
    List<String> egress,
    Integer timeoutSeconds,
    FunctionHooks hooks) {
  /** Guest memory of a function that names none: room for an interpreter and its libraries. */
  public static final int DEFAULT_MEMORY_MIB = 256;

  public ImageDeployment {
    Objects.requireNonNull(image, "image");
    if (image.isBlank()) {
      throw new IllegalArgumentException("image is empty");
    }
    env = env == null ? null : List.copyOf(env);
    command = command == null ? null : List.copyOf(command);
    args = args == null ? null : List.copyOf(args);
    egress = egress == null || egress.isEmpty() ? null : List.copyOf(egress);
    if (timeoutSeconds != null) {
      FunctionSpec.checkTimeoutSeconds(timeoutSeconds);
    }
    hooks = hooks == null || hooks.isNone() ? null : hooks;
  }

  /** A deployment with the default timeout, whose hooks are the image's. */
  public ImageDeployment(
      String image,
      Integer port,
      List<String> env,
      List<String> command,
      List<String> args,
      Integer memoryMib,
      Integer vcpus,
      List<String> egress) {
    this(image, port, env, command, args, memoryMib, vcpus, egress, null, null);
  }

  /** A deployment with no egress. */
  public ImageDeployment(
      String image,
      Integer port,
      List<String> env,
      List<String> command,
      List<String> args,
      Integer memoryMib,
      Integer vcpus) {
    this(image, port, env, command, args, memoryMib, vcpus, null, null, null);
  }

  /** This deployment allowed to connect to {@code egress} ({@code HOST:PORT} each). */
  public ImageDeployment withEgress(List<String> egress) {
    return new ImageDeployment(
        image, port, env, command, args, memoryMib, vcpus, egress, timeoutSeconds, hooks);
  }

  /**
   * The egress rules, read.
   *
   * @throws IllegalArgumentException naming a rule that is not {@code HOST:PORT} or is refused
   */
  public List<EgressRule> egressRules() {
    return egress == null ? List.of() : egress.stream().map(EgressRule::parse).toList();
  }

  /** The image with every other setting left to it and the node. */
  public static ImageDeployment of(String image) {
    return new ImageDeployment(image, null, null, null, null, null, null);
  }

  /** This deployment with {@code port}. */
  public ImageDeployment withPort(int port) {
    return new ImageDeployment(
        image, port, env, command, args, memoryMib, vcpus, egress, timeoutSeconds, hooks);
  }

  /** This deployment with {@code memoryMib}. */
  public ImageDeployment withMemoryMib(int memoryMib) {
    return new ImageDeployment(
        image, port, env, command, args, memoryMib, vcpus, egress, timeoutSeconds, hooks);
  }

  /** This deployment with the environment {@code env}. */
  public ImageDeployment withEnv(List<String> env) {
    return new ImageDeployment(
        image, port, env, command, args, memoryMib, vcpus, egress, timeoutSeconds, hooks);
  }

  /** This deployment with a timeout of {@code seconds}; null for the default. */
  public ImageDeployment withTimeoutSeconds(Integer seconds) {
    return new ImageDeployment(
        image, port, env, command, args, memoryMib, vcpus, egress, seconds, hooks);
  }

  /** This deployment with {@code hooks}, which come before the image's labels. */
  public ImageDeployment withHooks(FunctionHooks hooks) {
    return new ImageDeployment(
        image, port, env, command, args, memoryMib, vcpus, egress, timeoutSeconds, hooks);
  }

  /** The hooks this deployment names; {@link FunctionHooks#NONE} for none. */
  public FunctionHooks hooksOrNone() {
    return hooks == null ? FunctionHooks.NONE : hooks;
  }

  /** Guest memory in MiB, the default filled in. */
  public int memoryMibOrDefault() {
    return memoryMib == null ? DEFAULT_MEMORY_MIB : memoryMib;
  }

  /** Virtual CPUs, the default filled in. */
  public int vcpusOrDefault() {
    return vcpus == null ? 1 : vcpus;
  }
}
