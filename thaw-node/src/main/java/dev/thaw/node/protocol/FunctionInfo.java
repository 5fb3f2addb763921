package dev.thaw.node.protocol;

import java.util.List;
import java.util.Objects;

/**
 * One deployed function as the gateway's {@code GET /functions} reports it.
 *
 * @param name its revision name
 * @param image the image reference it was deployed from; empty for a built-in function
 * @param digest the image's manifest digest ({@code sha256:…}); empty for a built-in function
 * @param memoryMib its guest memory
 * @param snapshotOn the nodes whose snapshot cache holds its snapshot, by name
 * @param warm instances of it idle and warm, over every node
 */
public record FunctionInfo(
    String name, String image, String digest, int memoryMib, List<String> snapshotOn, int warm) {
  public FunctionInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(digest, "digest");
    snapshotOn = List.copyOf(snapshotOn);
  }
}
