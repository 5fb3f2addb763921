package dev.thaw.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the simulator predicts what the real agents measured on the same invocations: each count
 * of warm, local, remote and boot starts within {@value #COUNT_TOLERANCE} of the measured count
 * (and, for counts below 10, within one start: one start of three is a third), and the share of
 * local hits within {@value #SHARE_POINTS} percentage points.
 */
public record HonestyCheck(TraceRun.StartCounts measured, TraceRun.StartCounts simulated) {
  public static final double COUNT_TOLERANCE = 0.10;
  public static final double SHARE_POINTS = 5;

  /**
   * One compared figure.
   *
   * @param within whether it agrees within the bounds; always true for a figure shown but not
   *     checked
   * @param checked whether the check counts it (failed or rejected invocations are only shown)
   */
  public record Row(
      String figure, double measured, double simulated, boolean within, boolean checked) {}

  public List<Row> rows() {
    List<Row> out = new ArrayList<>();
    out.add(count("warm starts", measured.warm(), simulated.warm()));
    out.add(count("local restores", measured.localRestores(), simulated.localRestores()));
    out.add(count("remote restores", measured.remoteRestores(), simulated.remoteRestores()));
    out.add(count("boots", measured.boots(), simulated.boots()));
    double m = 100 * measured.localHitShare();
    double s = 100 * simulated.localHitShare();
    out.add(new Row("local-hit share %", m, s, Math.abs(m - s) <= SHARE_POINTS, true));
    out.add(new Row("failed or rejected", measured.errors(), simulated.errors(), true, false));
    return out;
  }

  private static Row count(String figure, long m, long s) {
    double allowed = Math.max(COUNT_TOLERANCE * m, m < 10 ? 1 : 0);
    return new Row(figure, m, s, Math.abs(s - m) <= allowed + 1e-9, true);
  }

  public boolean passes() {
    return rows().stream().allMatch(Row::within);
  }

  /** The comparison as a text table. */
  public String table() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT, "%-20s %10s %10s  %s%n", "", "measured", "simulated", "within bounds"));
    for (Row r : rows()) {
      b.append(
          String.format(
              Locale.ROOT,
              "%-20s %10.0f %10.0f  %s%n",
              r.figure(),
              r.measured(),
              r.simulated(),
              !r.checked() ? "(not checked)" : r.within() ? "yes" : "NO"));
    }
    return b.toString();
  }
}
