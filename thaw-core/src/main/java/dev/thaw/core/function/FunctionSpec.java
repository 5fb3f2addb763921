package dev.thaw.core.function;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a function needs from a microVM.
 *
 * @param id stable name, lower-case letters, digits and dashes (it becomes part of file names)
 * @param memoryMib guest memory in MiB
 * @param vcpus virtual CPUs
 * @param handler the guest handler that serves invocations (see {@code guest/thaw-guest.c});
 *     {@value #IMAGE_HANDLER} exactly when the function runs from an {@code image}
 * @param initMib MiB of state the handler computes at start and keeps in memory; 0 for none
 * @param image the root filesystem and program of a function from an image; null for the built-in
 *     handlers (and then left out of JSON, so built-in specs read and write as before)
 * @param egress the only destinations outside the node the function's VM may connect to; empty (the
 *     default, and then left out of JSON) for none: the VM answers invocations and reaches nothing
 * @param timeoutSeconds how long an invocation may wait for the function's answer, in seconds,
 *     within 1..{@value #MAX_TIMEOUT_SECONDS}; 0 (and then left out of JSON, so specs written
 *     before it read and write as before) for the default, {@value #DEFAULT_TIMEOUT_SECONDS}: see
 *     {@link #timeout()}
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record FunctionSpec(
    String id,
    int memoryMib,
    int vcpus,
    String handler,
    int initMib,
    FunctionImage image,
    List<EgressRule> egress,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int timeoutSeconds) {
  /** The handler of every function from an image. */
  public static final String IMAGE_HANDLER = "image";

  /** Most destinations one function may reach. */
  public static final int MAX_EGRESS_RULES = 16;

  /** The timeout of a function that names none: Knative's and Lambda's console's default. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 60;

  /** The longest timeout a function may have: Lambda's bound. */
  public static final int MAX_TIMEOUT_SECONDS = 900;

  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern HANDLER = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  public FunctionSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(handler, "handler");
    egress = egress == null ? List.of() : List.copyOf(egress);
    if (egress.size() > MAX_EGRESS_RULES) {
      throw new IllegalArgumentException(
          "a function has at most " + MAX_EGRESS_RULES + " egress rules, not " + egress.size());
    }
    if (new HashSet<>(egress).size() != egress.size()) {
      throw new IllegalArgumentException("egress names a destination twice: " + egress);
    }
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("function id must match " + ID + ": '" + id + "'");
    }
    if (!HANDLER.matcher(handler).matches()) {
      throw new IllegalArgumentException("handler must match " + HANDLER + ": '" + handler + "'");
    }
    if (memoryMib < 64 || memoryMib > 64 * 1024) {
      throw new IllegalArgumentException("memoryMib must be within 64..65536: " + memoryMib);
    }
    if (vcpus < 1 || vcpus > 64) {
      throw new IllegalArgumentException("vcpus must be within 1..64: " + vcpus);
    }
    if (initMib < 0 || initMib > memoryMib / 2) {
      throw new IllegalArgumentException(
          "initMib must be within 0..memoryMib/2 (" + memoryMib / 2 + "): " + initMib);
    }
    checkTimeoutSeconds(timeoutSeconds == 0 ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds);
    if (handler.equals(IMAGE_HANDLER) != (image != null)) {
      throw new IllegalArgumentException(
          image == null
              ? "handler " + IMAGE_HANDLER + " needs an image"
              : "a function from an image has handler " + IMAGE_HANDLER + ", not " + handler);
    }
  }

  /** A function with the default timeout. */
  public FunctionSpec(
      String id,
      int memoryMib,
      int vcpus,
      String handler,
      int initMib,
      FunctionImage image,
      List<EgressRule> egress) {
    this(id, memoryMib, vcpus, handler, initMib, image, egress, 0);
  }

  /**
   * Checks a timeout in seconds.
   *
   * @return {@code seconds}
   * @throws IllegalArgumentException when it is not within 1..{@value #MAX_TIMEOUT_SECONDS}
   */
  public static int checkTimeoutSeconds(int seconds) {
    if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
      throw new IllegalArgumentException(
          "a function's timeout must be within 1.." + MAX_TIMEOUT_SECONDS + " s, not " + seconds);
    }
    return seconds;
  }

  /** A function served by one of the guest's built-in handlers. */
  public FunctionSpec(String id, int memoryMib, int vcpus, String handler, int initMib) {
    this(id, memoryMib, vcpus, handler, initMib, null, List.of());
  }

  /** A function with no egress: it reaches nothing outside its VM. */
  public FunctionSpec(
      String id, int memoryMib, int vcpus, String handler, int initMib, FunctionImage image) {
    this(id, memoryMib, vcpus, handler, initMib, image, List.of());
  }

  /** This function, allowed to connect to {@code rules} (and nothing else). */
  public FunctionSpec withEgress(List<EgressRule> rules) {
    return new FunctionSpec(id, memoryMib, vcpus, handler, initMib, image, rules, timeoutSeconds);
  }

  /** This function with a timeout of {@code seconds} (0: the default). */
  public FunctionSpec withTimeoutSeconds(int seconds) {
    return new FunctionSpec(id, memoryMib, vcpus, handler, initMib, image, egress, seconds);
  }

  /**
   * How long an invocation waits for this function's answer, once its instance is running (a cold
   * start is not counted): when it passes, the caller gets 504 and the instance is stopped.
   */
  public java.time.Duration timeout() {
    return java.time.Duration.ofSeconds(
        timeoutSeconds == 0 ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds);
  }

  /** A function that runs the program of {@code image}. */
  public static FunctionSpec ofImage(String id, int memoryMib, int vcpus, FunctionImage image) {
    return new FunctionSpec(
        id, memoryMib, vcpus, IMAGE_HANDLER, 0, Objects.requireNonNull(image, "image"));
  }

  /**
   * This function with its image at {@code rootfs} on this node; see {@link
   * FunctionImage#withRootfs}.
   */
  public FunctionSpec withRootfs(java.nio.file.Path rootfs) {
    if (image == null) {
      throw new IllegalStateException(id + " is a built-in function: it has no root filesystem");
    }
    return new FunctionSpec(
        id, memoryMib, vcpus, handler, initMib, image.withRootfs(rootfs), egress, timeoutSeconds);
  }

  /** Whether the function runs from an image (and so has a disk). */
  public boolean fromImage() {
    return image != null;
  }

  /** Guest memory in bytes. */
  public long memoryBytes() {
    return (long) memoryMib << 20;
  }
}
