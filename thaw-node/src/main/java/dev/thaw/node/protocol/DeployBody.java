package dev.thaw.node.protocol;

import dev.thaw.core.function.FunctionSpec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Reads the body of {@code PUT /functions/{revision}}: an {@link ImageDeployment} when it has an
 * {@code image} string, else a {@link FunctionSpec} (a built-in handler, or an image already turned
 * into a root image on this node).
 */
public final class DeployBody {
  private DeployBody() {}

  /**
   * The deployment a request asks for, as {@link #parse} reads it, except that a {@link
   * FunctionSpec} from an image is refused: it names its root filesystem by host path, and which
   * host file becomes a guest's disk is the node's choice (its image cache), never a request's.
   *
   * @throws Refused INVALID for a body that is neither, or a function spec with an image
   */
  public static Object parseRequest(byte[] body) {
    Object deployment = parse(body);
    if (deployment instanceof FunctionSpec f && f.fromImage()) {
      throw new Refused(
          Refused.Kind.INVALID,
          "a function from an image is deployed as {\"image\": REF, …} (an ImageDeployment); a"
              + " function spec naming a root filesystem path is not accepted over HTTP",
          null);
    }
    return deployment;
  }

  /**
   * The deployment in {@code body}: an {@link ImageDeployment} or a {@link FunctionSpec}.
   *
   * @throws Refused INVALID for a body that is neither
   */
  public static Object parse(byte[] body) {
    try {
      JsonNode tree = AgentClient.JSON.readTree(body);
      if (tree == null || !tree.isObject()) {
        throw new Refused(
            Refused.Kind.INVALID, "the body must be a function spec (a JSON object)", null);
      }
      JsonNode image = tree.get("image");
      if (image != null && image.isString()) {
        return AgentClient.JSON.treeToValue(tree, ImageDeployment.class);
      }
      return AgentClient.JSON.treeToValue(tree, FunctionSpec.class);
    } catch (JacksonException e) {
      throw new Refused(
          Refused.Kind.INVALID, "invalid function spec: " + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new Refused(Refused.Kind.INVALID, "invalid function spec: " + e.getMessage(), e);
    }
  }
}
