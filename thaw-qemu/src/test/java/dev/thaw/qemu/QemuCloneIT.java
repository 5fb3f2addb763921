package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a clone gets at restore: fresh entropy and the host's wall clock. One hello snapshot serves
 * every test; the clock test runs last, once the snapshot is old enough to show a stale clock.
 *
 * <p>{@code -Dthaw.it.reseedClones=false} builds the restoring VMM without the reseed, to show that
 * the randomness test then fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QemuCloneIT {
  private static final Logger log = LoggerFactory.getLogger(QemuCloneIT.class);
  private static final Duration READY = Duration.ofSeconds(120);
  private static final Duration RESTORE = Duration.ofSeconds(30);
  private static final Duration SNAPSHOT_AGE = Duration.ofSeconds(60);
  private static final int CLONES = 20;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private Path work;
  private QemuVmm vmm;
  private QemuVmm withoutReseed;
  private VmSnapshot snapshot;
  private Instant snapshotted;

  @BeforeAll
  void snapshotHello(@TempDir Path tempDir) throws Exception {
    work = tempDir;
    boolean reseed = Boolean.parseBoolean(System.getProperty("thaw.it.reseedClones", "true"));
    vmm =
        QemuVmm.builder()
            .image(TestVms.image())
            .workRoot(work.resolve("vms"))
            .reseedClones(reseed)
            .build();
    withoutReseed =
        QemuVmm.builder()
            .image(TestVms.image())
            .workRoot(work.resolve("vms"))
            .reseedClones(false)
            .build();
    MicroVm vm = vmm.boot(BuiltinFunctions.HELLO, READY);
    // The snapshotted guest has drawn random bytes of its own: the clones share its RNG state.
    assertThat(random(vm)).hasSize(64);
    // Reseeded just before the snapshot (what the guest spends on it is logged), its kernel's own
    // periodic reseed (every uptime/2 s early on, 60 s later) cannot come due in a clone's first
    // second and make the clones restored without the reseed differ by chance.
    List<Long> took = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      FunctionClient.Response r =
          QemuVmm.control(
              vm, "/_thaw/resume?seed=" + "ab".repeat(32) + "&t=" + epochNanos(), client);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      took.add(JSON.readTree(r.body()).get("tookNs").asLong());
    }
    log.info("guest time to reseed and set the clock, median of 5: {} ms", medianMillis(took));
    vm.pause();
    snapshot = vm.snapshot(Files.createDirectories(work.resolve("snapshot")));
    snapshotted = Instant.now();
  }

  @AfterAll
  void noQemuProcessOutlivesTheTests() {
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  /**
   * Twenty clones, each asked for 32 random bytes as its first request after the restore: all
   * differ. Twenty clones restored without the reseed, interleaved with the others (which also
   * compares the cost of a restore with and without it), do not.
   */
  @Test
  @Order(1)
  void twentyClonesOfOneSnapshotDrawDistinctRandomBytes() {
    List<String> reseeded = new ArrayList<>();
    List<String> plain = new ArrayList<>();
    List<Long> reseededNanos = new ArrayList<>();
    List<Long> plainNanos = new ArrayList<>();
    for (int i = 0; i < CLONES; i++) {
      reseeded.add(firstRandom(vmm, reseededNanos));
      plain.add(firstRandom(withoutReseed, plainNanos));
    }
    log.info(
        "restore until the guest answered, median of {}: {} ms with the reseed, {} ms without;"
            + " distinct first random values: {} with, {} without",
        CLONES,
        medianMillis(reseededNanos),
        medianMillis(plainNanos),
        new HashSet<>(reseeded).size(),
        new HashSet<>(plain).size());
    assertThat(new HashSet<>(reseeded))
        .as("first random bytes of %d clones of one snapshot", CLONES)
        .hasSize(CLONES);
    // The assertion above is not vacuous: without the reseed, clones repeat each other's bytes.
    assertThat(new HashSet<>(plain))
        .as("first random bytes of %d clones restored without the reseed", CLONES)
        .hasSizeLessThan(CLONES);
  }

  /**
   * A clone of a snapshot a minute old reads the host's time at its first answer; without the
   * correction it would still believe it is the moment of the snapshot.
   */
  @Test
  @Order(2)
  void aCloneOfAnOldSnapshotReadsTheHostsWallClock() throws InterruptedException {
    Duration age = Duration.between(snapshotted, Instant.now());
    if (age.compareTo(SNAPSHOT_AGE) < 0) {
      Thread.sleep(SNAPSHOT_AGE.minus(age).toMillis() + 100);
    }
    long skew = firstClockSkewNanos(vmm);
    long uncorrected = firstClockSkewNanos(withoutReseed);
    log.info(
        "first answer's clock minus the host's, snapshot {} s old: {} ms corrected, {} ms not",
        Duration.between(snapshotted, Instant.now()).toSeconds(),
        skew / 1_000_000,
        uncorrected / 1_000_000);
    assertThat(Math.abs(skew)).as("clock skew in ns").isLessThan(1_000_000_000L);
    assertThat(uncorrected).as("an uncorrected clone's skew in ns").isLessThan(-55_000_000_000L);
  }

  /** Restores a clone of the snapshot, reads {@code /_thaw/random} first, closes the clone. */
  private String firstRandom(QemuVmm restorer, List<Long> restoreNanos) {
    long t0 = System.nanoTime();
    try (MicroVm clone = restorer.restore(snapshot, RESTORE)) {
      restoreNanos.add(System.nanoTime() - t0);
      return random(clone);
    }
  }

  @Test
  void eachCloneHasAControlKeyOfItsOwnAndTheSnapshotsNoLongerOpensIt() {
    assertThat(snapshot.controlKey()).matches("[0-9a-f]{32}");
    try (MicroVm a = vmm.restore(snapshot, RESTORE);
        MicroVm b = vmm.restore(snapshot, RESTORE)) {
      String keyA = ((QemuMicroVm) a).controlKey();
      assertThat(keyA).matches("[0-9a-f]{32}").isNotEqualTo(snapshot.controlKey());
      assertThat(((QemuMicroVm) b).controlKey()).isNotEqualTo(keyA);
      assertThat(QemuVmm.control(a, "/_thaw/clock", client).status()).isEqualTo(200);
      for (String key : List.of(snapshot.controlKey(), ((QemuMicroVm) b).controlKey(), "")) {
        FunctionClient.Response r =
            client.call(
                ((QemuMicroVm) a).control(),
                new FunctionRequest(
                    "GET", "/_thaw/mute", Map.of(GuestProbe.KEY_HEADER, key), new byte[0]));
        assertThat(r.status()).as("with key '%s': %s", key, r.body()).isEqualTo(403);
      }
      assertThat(QemuVmm.control(a, "/_thaw/clock", client).status()).isEqualTo(200);
    }
  }

  /**
   * Restores a clone and returns its {@code CLOCK_REALTIME} at its first answer minus the host's
   * wall clock (the host's read halfway through the request).
   */
  private long firstClockSkewNanos(QemuVmm restorer) {
    try (MicroVm clone = restorer.restore(snapshot, RESTORE)) {
      long before = epochNanos();
      FunctionClient.Response r = QemuVmm.control(clone, "/_thaw/clock", client);
      long after = epochNanos();
      assertThat(r.status()).isEqualTo(200);
      long guest = JSON.readTree(r.body()).get("realtimeNs").asLong();
      log.info("clock request took {} ms", (after - before) / 1_000_000);
      return guest - (before + (after - before) / 2);
    }
  }

  private String random(MicroVm vm) {
    FunctionClient.Response r = QemuVmm.control(vm, "/_thaw/random", client);
    assertThat(r.status()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    return body.get("random").asString();
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static double medianMillis(List<Long> nanos) {
    List<Long> sorted = nanos.stream().sorted().toList();
    int n = sorted.size();
    double median =
        n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    return Math.round(median / 1_000.0) / 1_000.0;
  }
}
