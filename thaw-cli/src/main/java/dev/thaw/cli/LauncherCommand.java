package dev.thaw.cli;

import dev.thaw.core.function.Revision;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpCall;
import dev.thaw.http.HttpEdge;
import dev.thaw.http.HttpRefusal;
import dev.thaw.http.UnixSocketClient;
import dev.thaw.node.protocol.AgentClient;
import dev.thaw.node.protocol.ImageDeployment;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thaw launcher}: the container of a function pod. Every request on its port becomes an
 * invocation of the pod's revision on the node-local agent, over the agent's Unix socket (a
 * hostPath): the agent starts the microVM (restore or boot) and keeps it warm while the pod sends
 * work; when the pod terminates the launcher stops and the agent's keep-alive reaps the instance.
 */
@Command(
    name = "launcher",
    mixinStandardHelpOptions = true,
    description = "Serves a function pod's port by invoking its revision on the node's agent.")
final class LauncherCommand implements Callable<Integer> {
  /** Pulling and building a large image takes minutes. */
  private static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(10);

  @Option(
      names = "--agent-socket",
      defaultValue = "/run/thaw/agent.sock",
      description = "The agent's Unix socket (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Option(names = "--function", required = true, description = "The revision to serve.")
  String revision;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "Port to serve on (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "0.0.0.0",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--image",
      description =
          "The function's OCI image (registry reference): the agent pulls it and deploys the"
              + " revision from it before the first start. Without it the revision must be"
              + " deployed already (a built-in).")
  String image;

  @Option(
      names = "--function-port",
      description = "Port the image's program listens on (default: the one it exposes, else 8080).")
  Integer functionPort;

  @Option(
      names = "--env",
      paramLabel = "NAME=VALUE",
      description = "Environment of the image's program, over the image's own (repeatable).")
  List<String> env = new ArrayList<>();

  @Option(
      names = "--memory-mib",
      description = "Guest memory of the image's microVM (default: 256).")
  Integer memoryMib;

  private HttpEdge server;
  private UnixSocketClient agent;

  @Override
  public Integer call() throws Exception {
    start();
    System.out.printf("thaw launcher: %s on %s:%d via %s%n", revision, host, port, socket);
    Daemon.runUntilShutdown("thaw-launcher", this::stop);
    return 0;
  }

  /**
   * Has the agent start the pod's microVM (one health invocation: a restore or a boot), then starts
   * serving; returns the bound port.
   */
  int start() throws IOException {
    Revision.of(revision); // refused before anything starts
    agent = new UnixSocketClient(socket);
    if (image != null) {
      deployImage();
    }
    HttpAnswer warmUp = request("POST", "/functions/" + revision + "/instances");
    if (warmUp.status() != 200) {
      agent.close();
      throw new IOException(
          "the agent could not start "
              + revision
              + ": "
              + new String(warmUp.body(), StandardCharsets.UTF_8));
    }
    server =
        HttpEdge.builder("thaw-launcher").tcp(host, port).route("*", "/.*", this::forward).start();
    return server.port();
  }

  /** Has the agent pull the image and deploy the revision from it (a pod's first step). */
  private void deployImage() throws IOException {
    ImageDeployment deployment =
        new ImageDeployment(
            image, functionPort, env.isEmpty() ? null : env, null, null, memoryMib, null);
    HttpAnswer deployed =
        agent.send(
            "PUT",
            "/functions/" + revision,
            AgentClient.JSON.writeValueAsBytes(deployment),
            DEPLOY_TIMEOUT);
    if (deployed.status() != 200) {
      agent.close();
      throw new IOException(
          "the agent could not deploy "
              + revision
              + " from "
              + image
              + ": "
              + new String(deployed.body(), StandardCharsets.UTF_8));
    }
  }

  /** Stops serving and has the agent stop the revision's idle instances. */
  void stop() {
    server.close();
    try {
      request("DELETE", "/functions/" + revision + "/instances");
    } catch (IOException e) {
      System.err.println("launcher: could not release " + revision + ": " + e.getMessage());
    } finally {
      agent.close();
    }
  }

  /** Any request to the pod: an invocation of the revision with its path and query. */
  private HttpAnswer forward(HttpCall call) {
    String target = call.path() + call.rawQuery().map(q -> "?" + decode(q)).orElse("");
    try {
      HttpAnswer r =
          request(
              "POST",
              "/functions/"
                  + revision
                  + "/invoke?path="
                  + URLEncoder.encode(target, StandardCharsets.UTF_8).replace("+", "%20"));
      return new HttpAnswer(r.status(), r.contentType(), Map.of(), r.body());
    } catch (IOException e) {
      throw new HttpRefusal(502, "agent unreachable: " + e.getMessage(), e);
    }
  }

  private static String decode(String query) {
    return URLDecoder.decode(query.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** One request to the agent over its Unix socket. */
  HttpAnswer request(String method, String target) throws IOException {
    return agent.send(method, target, new byte[0], Duration.ofSeconds(150));
  }
}
