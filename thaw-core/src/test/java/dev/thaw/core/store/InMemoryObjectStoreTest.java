package dev.thaw.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.time.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InMemoryObjectStoreTest extends ObjectStoreContract {
  private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));

  @Override
  protected ObjectStore store() {
    return new InMemoryObjectStore(clock);
  }

  @Test
  void stampsObjectsWithItsClock() throws Exception {
    InMemoryObjectStore s = new InMemoryObjectStore(clock);
    s.put("a", new byte[] {1});
    clock.advance(Duration.ofHours(2));
    s.put("b", new byte[] {1});
    assertThat(s.head("a").orElseThrow().lastModified()).isEqualTo("2025-01-01T00:00:00Z");
    assertThat(s.head("b").orElseThrow().lastModified()).isEqualTo("2025-01-01T02:00:00Z");
  }

  @Test
  void contentIsCopiedInAndOut() throws Exception {
    InMemoryObjectStore s = new InMemoryObjectStore(clock);
    byte[] content = {1, 2, 3};
    s.put("a", content);
    content[0] = 9;
    s.get("a").orElseThrow()[1] = 9;
    assertThat(s.get("a").orElseThrow()).containsExactly(1, 2, 3);
  }

  @Test
  void anInterceptorFailsChosenOperations() throws Exception {
    InMemoryObjectStore s = new InMemoryObjectStore(clock);
    s.put("a", new byte[] {1});
    s.intercept(
        (op, key) -> {
          if (op == InMemoryObjectStore.Operation.GET && key.equals("a")) {
            throw new IOException("injected");
          }
        });
    assertThatThrownBy(() -> s.get("a")).hasMessage("injected");
    assertThat(s.head("a")).isPresent();
    s.intercept((op, key) -> {});
    assertThat(s.get("a")).isPresent();
  }
}
