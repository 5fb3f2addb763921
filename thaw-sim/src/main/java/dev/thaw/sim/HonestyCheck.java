package dev.thaw.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the simulator predicts what the real agents measured on the same invocations.
 *
 * <ul>
 *   <li>Each count of warm, local, remote and boot starts is within {@value #COUNT_TOLERANCE} of
 *       the measured count, and never held tighter than one start: one start of three is a third,
 *       and a replay of a few dozen invocations leaves counts of one or two.
 *   <li>The share of local hits among restores is within {@value #SHARE_POINTS} percentage points,
 *       compared only when the measured and the simulated run each have at least {@value
 *       #MIN_SHARE_RESTORES} restores: below that one restore moves the share by more than the
 *       bound (1 local restore is 100%, 0 is 0%), so the share would fail where every count agrees
 *       within one start. Such a share is shown as too few to compare.
 * </ul>
 */
public record HonestyCheck(TraceRun.StartCounts measured, TraceRun.StartCounts simulated) {
  public static final double COUNT_TOLERANCE = 0.10;
  public static final double SHARE_POINTS = 5;

  /** Restores a share rests on, on each side, before it is compared: 100 ÷ 20 = 5 points each. */
  public static final long MIN_SHARE_RESTORES = 20;

  /** How a figure came out. */
  public enum Verdict {
    WITHIN("yes"),
    OUTSIDE("NO"),
    /** A share resting on too few starts for its bound. */
    TOO_FEW("too few to compare"),
    /** Shown, not compared (failed or rejected invocations). */
    NOT_CHECKED("(not checked)");

    private final String shown;

    Verdict(String shown) {
      this.shown = shown;
    }

    /** How the table says it. */
    public String shown() {
      return shown;
    }
  }

  /** One compared figure. */
  public record Row(String figure, double measured, double simulated, Verdict verdict) {
    /** Whether it does not fail the check. */
    public boolean within() {
      return verdict != Verdict.OUTSIDE;
    }
  }

  public List<Row> rows() {
    List<Row> out = new ArrayList<>();
    out.add(count("warm starts", measured.warm(), simulated.warm()));
    out.add(count("local restores", measured.localRestores(), simulated.localRestores()));
    out.add(count("remote restores", measured.remoteRestores(), simulated.remoteRestores()));
    out.add(count("boots", measured.boots(), simulated.boots()));
    out.add(share());
    out.add(
        new Row("failed or rejected", measured.errors(), simulated.errors(), Verdict.NOT_CHECKED));
    return out;
  }

  private static Row count(String figure, long m, long s) {
    double allowed = Math.max(COUNT_TOLERANCE * m, 1);
    return new Row(
        figure, m, s, Math.abs(s - m) <= allowed + 1e-9 ? Verdict.WITHIN : Verdict.OUTSIDE);
  }

  private Row share() {
    double m = 100 * measured.localHitShare();
    double s = 100 * simulated.localHitShare();
    long fewest = Math.min(restores(measured), restores(simulated));
    Verdict v =
        fewest < MIN_SHARE_RESTORES
            ? Verdict.TOO_FEW
            : Math.abs(m - s) <= SHARE_POINTS ? Verdict.WITHIN : Verdict.OUTSIDE;
    return new Row("local-hit share %", m, s, v);
  }

  private static long restores(TraceRun.StartCounts c) {
    return c.localRestores() + c.remoteRestores();
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
              r.verdict().shown()));
    }
    return b.toString();
  }
}
