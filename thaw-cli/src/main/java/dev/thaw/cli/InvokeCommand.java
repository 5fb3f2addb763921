package dev.thaw.cli;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.Revision;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code thaw invoke}: one invocation through a running gateway; prints the function's answer. */
@Command(
    name = "invoke",
    mixinStandardHelpOptions = true,
    description = {
      "Invokes a function through a running gateway and prints its answer's body.",
      "Exits with 1 when the function answers with a status other than 2xx."
    })
final class InvokeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GatewayOption gateway;

  @Parameters(index = "0", paramLabel = "NAME", description = "The function's name.")
  String name;

  static final class Data {
    @Option(names = "--data", paramLabel = "STR", description = "The body, as UTF-8 text.")
    String text;

    @Option(names = "--data-file", paramLabel = "FILE", description = "The body, from a file.")
    Path file;
  }

  @ArgGroup(exclusive = true)
  Data data;

  @Option(
      names = "--path",
      defaultValue = "/",
      description = "Path and query to invoke (default: ${DEFAULT-VALUE}).")
  String path;

  @Option(
      names = "--method",
      description = {
        "HTTP method: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
        "(default: POST with a body, else GET)."
      })
  String method;

  @Option(
      names = "--content-type",
      description = "The body's media type (default: application/octet-stream with a body).")
  String contentType;

  @Option(
      names = {"-v", "--verbose"},
      description = "Also print where and how it ran (node, cold or warm, latency) on stderr.")
  boolean verbose;

  @Override
  public Integer call() {
    byte[] body = body();
    String m = method != null ? method : body.length > 0 ? "POST" : "GET";
    try {
      Revision.of(name);
      new FunctionRequest(m, path, java.util.Map.of(), body);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    String type =
        contentType != null || body.length == 0 ? contentType : "application/octet-stream";
    HttpResponse<byte[]> r;
    try {
      r = gateway.invoker().invoke(name, m, path, body, type);
    } catch (GatewayClient.Failure e) {
      System.err.println("thaw invoke: " + e.getMessage());
      return 1;
    }
    System.out.write(r.body(), 0, r.body().length);
    System.out.flush();
    if (verbose) {
      System.err.printf(
          "%d from %s: %s, %s ms%n",
          r.statusCode(),
          r.headers().firstValue("X-Thaw-Node").orElse("?"),
          start(
              r.headers().firstValue("X-Thaw-Start").orElse("?"),
              r.headers().firstValue("X-Thaw-Source")),
          r.headers().firstValue("X-Thaw-Latency-Ms").orElse("?"));
    }
    if (r.statusCode() / 100 != 2) {
      System.err.println("thaw invoke: " + name + " answered " + r.statusCode());
      return 1;
    }
    return 0;
  }

  /**
   * How the instance started, as {@code -v} says it: {@code warm}, {@code cold (local)} or {@code
   * cold (remote)} for a restore from a snapshot there, and {@code boot} for a cold start without a
   * snapshot (the source {@code none}).
   */
  static String start(String start, Optional<String> source) {
    if (start.equals("cold") && source.filter("none"::equals).isPresent()) {
      return "boot";
    }
    return start + source.map(s -> " (" + s + ")").orElse("");
  }

  private byte[] body() {
    if (data == null) {
      return new byte[0];
    }
    if (data.text != null) {
      return data.text.getBytes(StandardCharsets.UTF_8);
    }
    try {
      return Files.readAllBytes(data.file);
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), "cannot read --data-file " + data.file + ": " + e.getMessage());
    }
  }
}
