package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EventQueueTest {
  @Test
  void popsInTimeOrderWithTheirPayloads() {
    EventQueue q = new EventQueue();
    Random random = new Random(3);
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      long t = random.nextInt(1_000_000);
      times.add(t);
      q.push(t, t * 7);
      if (i % 3 == 0) {
        // Interleave pops with pushes, as the simulator does.
        long first = q.peekTime();
        assertThat(q.peekPayload()).isEqualTo(first * 7);
        q.pop();
        times.remove(Long.valueOf(first));
        assertThat(times).allMatch(x -> x >= first);
      }
    }
    long last = -1;
    while (!q.isEmpty()) {
      assertThat(q.peekTime()).isGreaterThanOrEqualTo(last);
      assertThat(q.peekPayload()).isEqualTo(q.peekTime() * 7);
      last = q.peekTime();
      q.pop();
    }
  }
}
