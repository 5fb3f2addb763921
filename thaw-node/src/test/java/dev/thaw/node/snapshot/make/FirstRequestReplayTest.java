package dev.thaw.node.snapshot.make;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.FunctionRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link FirstRequestReplay}: only the methods HTTP lets a client repeat are sent again. */
class FirstRequestReplayTest {

  @Test
  void onlyGetAndHeadAreRepeated() {
    for (String method : FunctionRequest.METHODS) {
      byte[] body = method.equals("GET") || method.equals("HEAD") ? new byte[0] : new byte[] {1};
      FunctionRequest r = new FunctionRequest(method, "/", Map.of(), body);
      assertThat(FirstRequestReplay.repeatable(r))
          .as(method)
          .isEqualTo(method.equals("GET") || method.equals("HEAD"));
    }
  }
}
