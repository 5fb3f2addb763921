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
