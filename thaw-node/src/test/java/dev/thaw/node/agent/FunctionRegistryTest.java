package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What deploying, redeploying and removing a function does to the node's instances. */
class FunctionRegistryTest {
  private static final Revision FN = Revision.of("fn-1");
  private static final FunctionRequest GET = FunctionRequest.get("/");
  private static final FunctionSpec HELLO = new FunctionSpec("fn", 64, 1, "hello", 0);

  @TempDir Path dir;
  private AgentParts parts;

  private AgentParts parts(long memoryBytes) throws Exception {
    parts = new AgentParts(dir, 2, memoryBytes);
    return parts;
  }

  @AfterEach
  void stop() throws Exception {
    parts.close();
    assertThat(parts.vmm.running()).as("VMs left running").isZero();
  }

  @Test
  void aFunctionThatNeedsMoreMemoryThanTheNodeHasIsRefusedAndNotDeployed() throws Exception {
    AgentParts p = parts(128L << 20);

    assertThatThrownBy(() -> p.functions.deploy(FN, new FunctionSpec("big", 256, 1, "hello", 0)))
        .isInstanceOfSatisfying(
            Refused.class, r -> assertThat(r.kind()).isEqualTo(Refused.Kind.INVALID))
        .hasMessage("function big needs 256 MiB of memory; node n1 has 128 MiB");
    assertThat(p.functions.all()).isEmpty();
  }

  @Test
  void redeployingTheSameFunctionKeepsItsIdleInstanceAndAnotherOneStopsIt() throws Exception {
    AgentParts p = parts(1L << 30);
    p.functions.deploy(FN, HELLO);
    p.invoker.invoke(FN, GET, java.util.Optional.empty());
    assertThat(p.pool.idleCount()).isEqualTo(1);

    p.functions.deploy(FN, HELLO);
    assertThat(p.pool.idleCount()).as("the same function: its instance stays").isEqualTo(1);

    FunctionSpec other = HELLO.withTimeoutSeconds(5);
    p.functions.deploy(FN, other);
    assertThat(p.pool.idleCount()).as("another function: the old one's instance stops").isZero();
    assertThat(p.pool.active()).isZero();
    assertThat(p.functions.runs(FN, HELLO)).isFalse();
    assertThat(p.functions.runs(FN, other)).isTrue();
  }

  @Test
  void undeployingForgetsTheFunctionAndStopsItsIdleInstances() throws Exception {
    AgentParts p = parts(1L << 30);
    p.functions.deploy(FN, HELLO);
    p.invoker.invoke(FN, GET, java.util.Optional.empty());

    assertThat(p.functions.undeploy(FN)).isTrue();
    assertThat(p.functions.get(FN)).isEmpty();
    assertThat(p.pool.active()).isZero();
    assertThat(p.functions.undeploy(FN)).as("no longer deployed").isFalse();
  }

  @Test
  void aNodeWithoutAnImageCacheRefusesImages() throws Exception {
    AgentParts p = parts(1L << 30);

    assertThatThrownBy(() -> p.functions.deploy(FN, ImageDeployment.of("fn:v1")))
        .isInstanceOfSatisfying(
            Refused.class, r -> assertThat(r.kind()).isEqualTo(Refused.Kind.INVALID))
        .hasMessageContaining("runs no functions from images");
  }
}
