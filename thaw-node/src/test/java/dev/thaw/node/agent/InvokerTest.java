package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.node.protocol.Refused;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An invocation's instance: cold, then warm, and never one the node cannot start. */
class InvokerTest {
  private static final Revision FN = Revision.of("fn-1");
  private static final FunctionRequest GET = FunctionRequest.get("/");
  private static final FunctionSpec HELLO = new FunctionSpec("fn", 64, 1, "hello", 0);

  @TempDir Path dir;
  private AgentParts p;

  @BeforeEach
  void start() throws Exception {
    p = new AgentParts(dir, 1, 1L << 30);
    p.functions.deploy(FN, HELLO);
  }

  @AfterEach
  void stop() throws Exception {
    p.close();
    assertThat(p.vmm.running()).as("VMs left running").isZero();
  }

  @Test
  void theFirstInvocationStartsAnInstanceAndTheNextOneReusesItWarm() {
    Invocation cold = p.invoker.invoke(FN, GET, java.util.Optional.empty());
    Invocation warm = p.invoker.invoke(FN, GET, java.util.Optional.empty());

    assertThat(cold.status()).isEqualTo(200);
    assertThat(cold.served().coldStart()).isPresent();
    assertThat(warm.served().coldStart()).isEmpty();
    assertThat(warm.served().instance()).isEqualTo(cold.served().instance());
    assertThat(p.pool.active()).isEqualTo(1);
  }

  @Test
  void anUnknownRevisionIsRefusedWithoutTakingASlot() {
    assertThatThrownBy(() -> p.invoker.invoke(Revision.of("nope"), GET, java.util.Optional.empty()))
        .isInstanceOfSatisfying(
            Refused.class, r -> assertThat(r.kind()).isEqualTo(Refused.Kind.UNKNOWN_REVISION));
    assertThat(p.pool.active()).isZero();
  }

  @Test
  void aNodeShuttingDownStartsNothingButStillServesWarm() {
    p.invoker.invoke(FN, GET, java.util.Optional.empty());
    p.closing.set(true);

    assertThat(p.invoker.invoke(FN, GET, java.util.Optional.empty()).served().coldStart())
        .as("warm")
        .isEmpty();
    p.functions.deploy(Revision.of("other"), HELLO);
    assertThatThrownBy(
            () -> p.invoker.invoke(Revision.of("other"), GET, java.util.Optional.empty()))
        .isInstanceOfSatisfying(
            Refused.class, r -> assertThat(r.kind()).isEqualTo(Refused.Kind.NO_CAPACITY))
        .hasMessageContaining("shutting down");
  }
}
