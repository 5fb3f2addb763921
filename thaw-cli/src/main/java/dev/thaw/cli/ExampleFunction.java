package dev.thaw.cli;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.image.ExampleImages;
import dev.thaw.image.RuntimeImages;
import dev.thaw.node.agent.ImageFunctions;
import dev.thaw.node.protocol.ImageDeployment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The project's own functions from OCI images ({@code images/} in the source tree), built on this
 * machine on first use, each with the guest memory it is deployed with unless told otherwise: a
 * Python server, and the runtimes whose own start a snapshot saves most, Node.js and a Java
 * function built by Jib (a JVM's heap and JIT need more than the default 256 MiB).
 */
enum ExampleFunction {
  PYTHON(null),
  NODE(384),
  JAVA(512);

  private final Integer memoryMib;

  ExampleFunction(Integer memoryMib) {
    this.memoryMib = memoryMib;
  }

  /** The guest memory it is deployed with by default, in MiB; null for a function's default. */
  Integer memoryMib() {
    return memoryMib;
  }

  /** Its name on the command line: {@code python}, {@code node}, {@code java}. */
  String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Its OCI image layout, built first if missing; {@code progress} hears of a build. */
  Path layout(Consumer<String> progress) {
    return this == PYTHON
        ? ExampleImages.ensure(progress).python()
        : RuntimeImages.ensure(progress).of(id());
  }

  /** The example named {@code id}, if there is one. */
  static Optional<ExampleFunction> byId(String id) {
    return Arrays.stream(values()).filter(e -> e.id().equals(id)).findFirst();
  }

  /**
   * The function a bench names {@code id}: a built-in, or one of these deployed through {@code
   * images} (its root image built here and stored where {@code images} keeps root images).
   *
   * @throws IllegalArgumentException for a name that is neither
   */
  static FunctionSpec resolve(String id, ImageFunctions images, Consumer<String> progress)
      throws Exception {
    Optional<ExampleFunction> example = byId(id);
    if (example.isEmpty()) {
      return BuiltinFunctions.byId(id)
          .orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "unknown function: " + id + " (hello, stateful, " + names() + ")"));
    }
    Path layout = example.get().layout(progress);
    ImageDeployment deployment =
        new ImageDeployment(
            layout.toString(),
            null,
            null,
            null,
            null,
            example.get().memoryMib(),
            null,
            null,
            null,
            null);
    return images.resolve(Revision.of(id), deployment);
  }

  /** Whether {@code id} names a built-in function or one of these. */
  static boolean known(String id) {
    return byId(id).isPresent() || BuiltinFunctions.byId(id).isPresent();
  }

  /** The names, as a user would list them: "python, node or java". */
  static String names() {
    String all = Arrays.stream(values()).map(ExampleFunction::id).collect(Collectors.joining(", "));
    int last = all.lastIndexOf(", ");
    return all.substring(0, last) + " or " + all.substring(last + 2);
  }
}
