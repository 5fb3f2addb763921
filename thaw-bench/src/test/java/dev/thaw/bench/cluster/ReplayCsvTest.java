package dev.thaw.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayCsvTest {
  @TempDir Path dir;

  private static ReplayedInvocation cold(int id, int minute) {
    return new ReplayedInvocation(
        "trace-0", id, minute, 10, "cold", "node-1", "local", 3, 140, 50, 200.0, "");
  }

  private static ReplayedInvocation warm(int id, int minute) {
    return new ReplayedInvocation(
        "trace-1", id, minute, 20, "warm", "node-2", "", 0, 0, 50, 60.0, "");
  }

  private static ReplayedInvocation refused(int id, int minute) {
    return new ReplayedInvocation(
        "trace-1", id, minute, 30, "", "", "", 0, 0, 50, 5.0, "no capacity, try later");
  }

  @Test
  void everyInvocationIsARowWithTheLatencyThePlatformAdded() throws Exception {
    ReplayCsv.write(List.of(cold(0, 0), warm(1, 0), refused(2, 1)), 2, dir);
    assertThat(Files.readAllLines(dir.resolve(ReplayCsv.INVOCATIONS)))
        .containsExactly(
            "function,invocation,minute,start_ms,start,node,source,fetch_ms,restore_or_boot_ms,"
                + "duration_ms,init_ms,response_ms,error",
            "trace-0,0,0,10,cold,node-1,local,3,140,50,150.0,200.0,",
            "trace-1,1,0,20,warm,node-2,,0,0,50,10.0,60.0,",
            "trace-1,2,1,30,,,,0,0,50,0.0,5.0,\"no capacity, try later\"");
  }

  @Test
  void everyMinuteIsARowEvenWithoutInvocations() throws Exception {
    ReplayCsv.write(List.of(cold(0, 0), warm(1, 0), refused(2, 2)), 4, dir);
    assertThat(Files.readAllLines(dir.resolve(ReplayCsv.MINUTES)))
        .containsExactly(
            "minute,invocations,cold_starts,errors,mean_response_ms",
            "0,2,1,0,130.0",
            "1,0,0,0,0.0",
            "2,1,0,1,5.0",
            "3,0,0,0,0.0");
  }

  @Test
  void theAddedLatencyIsNeverNegative() {
    ReplayedInvocation fast =
        new ReplayedInvocation("f", 0, 0, 0, "warm", "n", "", 0, 0, 50, 49.0, "");
    assertThat(fast.initMs()).isZero();
    assertThat(fast.cold()).isFalse();
    assertThat(refused(0, 0).failed()).isTrue();
  }
}
