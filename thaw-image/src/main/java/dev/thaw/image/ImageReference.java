package dev.thaw.image;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A registry image reference, parsed as Docker does: {@code python} is {@code
 * docker.io/library/python:latest}; {@code localhost:5000/fn:v1} names the registry {@code
 * localhost:5000} (a first component with a dot or a colon, or {@code localhost}, is a registry);
 * {@code name@sha256:...} pins a digest, and with both a tag and a digest the digest wins.
 *
 * @param registry the registry host (and port), {@code docker.io} for Docker Hub
 * @param repository the repository path, {@code library/python} for official images
 * @param tag the tag, or empty when only a digest is given
 * @param digest {@code sha256:} and 64 hex digits, or empty
 */
public record ImageReference(
    String registry, String repository, Optional<String> tag, Optional<String> digest) {
  /** Docker Hub as references name it. */
  public static final String DOCKER_HUB = "docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("\\w[\\w.-]{0,127}");
  private static final Pattern REGISTRY =
      Pattern.compile("(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?");

  public ImageReference {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(digest, "digest");
    if (tag.isEmpty() && digest.isEmpty()) {
      throw new IllegalArgumentException("a reference needs a tag or a digest");
    }
    digest.ifPresent(Descriptor::requireDigest);
  }

  /**
   * Parses a reference.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  public static ImageReference parse(String text) {
    Objects.requireNonNull(text, "reference");
    String rest = text.strip();
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("empty image reference");
    }
    Optional<String> digest = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      String d = rest.substring(at + 1);
      if (!Descriptor.isDigest(d)) {
        throw new IllegalArgumentException(
            "'" + text + "': the digest must be sha256: and 64 lower-case hex digits");
      }
      digest = Optional.of(d);
      rest = rest.substring(0, at);
    }
    Optional<String> tag = Optional.empty();
    int slash = rest.lastIndexOf('/');
    int colon = rest.lastIndexOf(':');
    if (colon > slash) {
      String t = rest.substring(colon + 1);
      if (!TAG.matcher(t).matches()) {
        throw new IllegalArgumentException("'" + text + "': bad tag '" + t + "'");
      }
      tag = Optional.of(t);
      rest = rest.substring(0, colon);
    }
    String registry = DOCKER_HUB;
    int first = rest.indexOf('/');
    if (first > 0) {
      String head = rest.substring(0, first);
      if (head.contains(".") || head.contains(":") || head.equals("localhost")) {
        if (!REGISTRY.matcher(head).matches()) {
          throw new IllegalArgumentException("'" + text + "': bad registry '" + head + "'");
        }
        registry = head.toLowerCase(Locale.ROOT);
        rest = rest.substring(first + 1);
      }
    }
    if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    for (String component : rest.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw new IllegalArgumentException(
            "'"
                + text
                + "': bad repository name '"
                + rest
                + "' (lower-case letters, digits and . _ - between them)");
      }
    }
    if (tag.isEmpty() && digest.isEmpty()) {
      tag = Optional.of("latest");
    }
    return new ImageReference(registry, rest, tag, digest);
  }

  /** What the manifest is asked for by: the digest when there is one, else the tag. */
  public String manifestReference() {
    return digest.orElseGet(tag::orElseThrow);
  }

  /** The host (and port) the registry API answers on: Docker Hub's is registry-1.docker.io. */
  public String apiHost() {
    return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
  }

  /** The reference written out in full: {@code registry/repository[:tag][@digest]}. */
  @Override
  public String toString() {
    return registry
        + "/"
        + repository
        + tag.map(t -> ":" + t).orElse("")
        + digest.map(d -> "@" + d).orElse("");
  }
}
