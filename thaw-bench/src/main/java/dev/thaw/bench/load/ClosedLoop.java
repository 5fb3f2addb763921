package dev.thaw.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongSupplier;

/**
 * A closed-loop load: a fixed number of clients, each sending its next request as soon as its last
 * one is answered, for a fixed time. A closed loop is what a pool of callers waiting on their
 * answers makes, and the throughput it measures is what the system under test sustains at that
 * concurrency (an open loop at a fixed rate would measure queues instead).
 *
 * <p>Each client runs on a thread of its own. A client stops sending once the time is up; its
 * request in flight then is answered and counted, so the run ends at most one request's time after
 * the deadline (every request has its own timeout, see {@link Exchange}).
 */
public final class ClosedLoop {
  /** One request of client {@code client}; it answers whether the request succeeded. */
  @FunctionalInterface
  public interface Exchange {
    /**
     * Sends one request and reads its whole answer, within a timeout of its own.
     *
     * @param client the client's index, from 0
     * @return whether the answer was the expected one; an exception counts as an error too
     */
    boolean send(int client) throws Exception;
  }

  private final int clients;
  private final Duration length;
  private final LongSupplier nanos;

  /** {@code clients} clients for {@code length}, timed on {@link System#nanoTime()}. */
  public ClosedLoop(int clients, Duration length) {
    this(clients, length, System::nanoTime);
  }

  ClosedLoop(int clients, Duration length, LongSupplier nanos) {
    if (clients < 1) {
      throw new IllegalArgumentException("a load needs at least one client: " + clients);
    }
    if (length.isNegative() || length.isZero()) {
      throw new IllegalArgumentException("a load runs for a positive time: " + length);
    }
    this.clients = clients;
    this.length = length;
    this.nanos = Objects.requireNonNull(nanos);
  }

  /** Runs the load on {@code exchange} and returns what it measured, once every client stopped. */
  public LoadSample run(Exchange exchange) throws InterruptedException {
    List<Client> running = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < clients; i++) {
      Client c = new Client(i, exchange, go);
      running.add(c);
      c.thread.start();
    }
    long t0 = nanos.getAsLong();
    long deadline = t0 + length.toNanos();
    running.forEach(c -> c.deadline = deadline);
    go.countDown();
    for (Client c : running) {
      c.thread.join();
    }
    long elapsed = nanos.getAsLong() - t0;
    List<Double> ms = new ArrayList<>();
    long errors = 0;
    String firstError = "";
    for (Client c : running) {
      ms.addAll(c.ms);
      errors += c.errors;
      if (firstError.isEmpty()) {
        firstError = c.firstError;
      }
    }
    return new LoadSample(ms, errors, Duration.ofNanos(elapsed), firstError);
  }

  /** One client: its thread and what it measured. */
  private final class Client implements Runnable {
    private final int index;
    private final Exchange exchange;
    private final CountDownLatch go;
    private final Thread thread;
    private final List<Double> ms = new ArrayList<>();
    private volatile long deadline;
    private long errors;
    private String firstError = "";

    Client(int index, Exchange exchange, CountDownLatch go) {
      this.index = index;
      this.exchange = exchange;
      this.go = go;
      this.thread = new Thread(this, "thaw-load-" + index);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      try {
        go.await();
      } catch (InterruptedException e) {
        return;
      }
      while (nanos.getAsLong() < deadline) {
        long t = nanos.getAsLong();
        boolean ok;
        String error = "";
        try {
          ok = exchange.send(index);
          if (!ok) {
            error = "an unexpected answer";
          }
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          ok = false;
          error = String.valueOf(e);
        }
        if (ok) {
          ms.add((nanos.getAsLong() - t) / 1e6);
        } else {
          errors++;
          if (firstError.isEmpty()) {
            firstError = error;
          }
        }
      }
    }
  }
}
