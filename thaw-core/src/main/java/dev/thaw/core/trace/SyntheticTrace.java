package dev.thaw.core.trace;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A seeded synthetic day in the Azure Functions 2019 format, shaped after the published
 * characterisation of that trace (Shahrad et al., "Serverless in the Wild", ATC '20):
 *
 * <ul>
 *   <li>invocation rates spread over six orders of magnitude: log10 of the mean rate per minute is
 *       normal around −1.6 with a spread of 1.45, within −3.5..2.3 (about 86% of functions run less
 *       than once a minute and 45% at most once an hour, as the paper reports for its 2019 day; the
 *       hottest run 200 times a minute), each minute's count Poisson around the rate, which follows
 *       the day (±40%, busiest at 14:00);
 *   <li>timer-triggered functions instead fire once every 1, 5, 10, 15, 30 or 60 minutes, at a
 *       fixed phase: the regular idle times that a histogram keep-alive policy learns;
 *   <li>durations log-normal per function: medians around 0.7 s with a long tail;
 *   <li>memory per app log-normal around 150 MB;
 *   <li>triggers mostly http, then timer, queue, event, storage.
 * </ul>
 *
 * The same seed gives the same files byte for byte.
 */
public final class SyntheticTrace {
  private static final String[] TRIGGERS = {"http", "timer", "queue", "event", "storage"};
  private static final double[] TRIGGER_WEIGHTS = {0.55, 0.16, 0.15, 0.09, 0.05};
  private static final int[] TIMER_PERIODS = {1, 5, 5, 10, 15, 30, 60, 60};
  private static final double[] Z_DURATION = {-3.09, -2.33, -0.674, 0, 0.674, 2.33, 3.09};
  private static final double[] Z_MEMORY = {-2.33, -1.645, -0.674, 0, 0.674, 1.645, 2.33, 3.09};

  private SyntheticTrace() {}

  /** Generates {@code functions} functions and writes them as day 01 into {@code dir}. */
  public static List<TraceFunction> write(Path dir, int functions, long seed) throws IOException {
    Random random = new Random(seed);
    HexFormat hex = HexFormat.of();
    List<TraceFunction> out = new ArrayList<>();
    String owner = "";
    String app = "";
    double[] appMemory = new double[0];
    for (int i = 0; i < functions; i++) {
      if (i == 0 || random.nextDouble() < 0.5) {
        owner = random.nextDouble() < 0.3 && i > 0 ? owner : hash(random, hex);
        app = hash(random, hex);
        double median = Math.exp(Math.log(150) + 0.5 * random.nextGaussian());
        double sigma = 0.05 + 0.2 * random.nextDouble();
        appMemory = quantiles(median, sigma, Z_MEMORY);
      }
      String trigger = trigger(random);
      int[] perMinute = new int[TraceFunction.MINUTES];
      if (trigger.equals("timer")) {
        int period = TIMER_PERIODS[random.nextInt(TIMER_PERIODS.length)];
        for (int m = random.nextInt(period); m < perMinute.length; m += period) {
          perMinute[m] = 1;
        }
      } else {
        double log10Rate = Math.max(-3.5, Math.min(2.3, -1.6 + 1.45 * random.nextGaussian()));
        double rate = Math.pow(10, log10Rate);
        for (int m = 0; m < perMinute.length; m++) {
          double day = 1 + 0.4 * Math.cos(2 * Math.PI * (m - 14 * 60) / TraceFunction.MINUTES);
          perMinute[m] = poisson(random, rate * day);
        }
      }
      double medianMs = Math.exp(Math.log(700) + 1.3 * random.nextGaussian());
      double[] duration =
          quantiles(Math.max(1, medianMs), 0.2 + 0.8 * random.nextDouble(), Z_DURATION);
      out.add(
          new TraceFunction(
              owner, app, hash(random, hex), trigger, perMinute, duration, appMemory));
    }
    writeFiles(dir, out);
    return out;
  }

  private static String hash(Random random, HexFormat hex) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return hex.formatHex(b);
  }

  private static String trigger(Random random) {
    double u = random.nextDouble();
    for (int i = 0; i < TRIGGERS.length; i++) {
      u -= TRIGGER_WEIGHTS[i];
      if (u <= 0) {
        return TRIGGERS[i];
      }
    }
    return TRIGGERS[0];
  }

  private static double[] quantiles(double median, double sigma, double[] z) {
    double[] q = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      q[i] = median * Math.exp(sigma * z[i]);
    }
    return q;
  }

  /** Knuth's method for small means, a normal approximation for large ones. */
  private static int poisson(Random random, double mean) {
    if (mean > 30) {
      return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * random.nextGaussian()));
    }
    double limit = Math.exp(-mean);
    double p = 1;
    int k = 0;
    do {
      k++;
      p *= random.nextDouble();
    } while (p > limit);
    return k - 1;
  }

  private static void writeFiles(Path dir, List<TraceFunction> functions) throws IOException {
    Files.createDirectories(dir);
    try (PrintWriter w =
        new PrintWriter(
            Files.newBufferedWriter(dir.resolve("invocations_per_function_md.anon.d01.csv")))) {
      StringBuilder header = new StringBuilder("HashOwner,HashApp,HashFunction,Trigger");
      for (int m = 1; m <= TraceFunction.MINUTES; m++) {
        header.append(',').append(m);
      }
      w.println(header);
      for (TraceFunction f : functions) {
        StringBuilder line =
            new StringBuilder(String.join(",", f.owner(), f.app(), f.function(), f.trigger()));
        for (int c : f.perMinute()) {
          line.append(',').append(c);
        }
        w.println(line);
      }
    }
    try (PrintWriter w =
        new PrintWriter(
            Files.newBufferedWriter(dir.resolve("function_durations_percentiles.anon.d01.csv")))) {
      w.println(
          "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
              + "percentile_Average_1,percentile_Average_25,percentile_Average_50,"
              + "percentile_Average_75,percentile_Average_99,percentile_Average_100");
      for (TraceFunction f : functions) {
        double[] d = f.durationMs();
        w.printf(
            Locale.ROOT,
            "%s,%s,%s,%.0f,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f%n",
            f.owner(),
            f.app(),
            f.function(),
            d[3],
            f.total(),
            d[0],
            d[6],
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            d[6]);
      }
    }
    try (PrintWriter w =
        new PrintWriter(
            Files.newBufferedWriter(dir.resolve("app_memory_percentiles.anon.d01.csv")))) {
      w.println(
          "HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
              + "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
              + "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
              + "AverageAllocatedMb_pct100");
      java.util.Set<String> apps = new java.util.HashSet<>();
      for (TraceFunction f : functions) {
        if (apps.add(f.owner() + "/" + f.app())) {
          double[] m = f.memoryMb();
          w.printf(
              Locale.ROOT,
              "%s,%s,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f%n",
              f.owner(),
              f.app(),
              1440,
              m[3],
              m[0],
              m[1],
              m[2],
              m[3],
              m[4],
              m[5],
              m[6],
              m[7]);
        }
      }
    }
  }
}
