package dev.thaw.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DaemonThreadsTest {
  @Test
  void threadsAreDaemonsNamedAsAsked() {
    Thread a = DaemonThreads.named("thaw-x").newThread(() -> {});
    assertThat(a.isDaemon()).isTrue();
    assertThat(a.getName()).isEqualTo("thaw-x");
    var numbered = DaemonThreads.numbered("thaw-y");
    assertThat(numbered.newThread(() -> {}).getName()).isEqualTo("thaw-y-1");
    Thread second = numbered.newThread(() -> {});
    assertThat(second.getName()).isEqualTo("thaw-y-2");
    assertThat(second.isDaemon()).isTrue();
  }
}
