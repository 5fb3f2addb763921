package dev.thaw.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * CPU time of this JVM's threads and of its child processes (QEMU), split into parts by thread name
 * (or as a {@link Classifier} given its process's name too), from Linux's per-thread {@code
 * /proc/PID/task/TID/schedstat} (nanoseconds of run time). Where {@link MachineCpu} says how much a
 * restore cost the machine, this says who spent it: the VMM, the chunk workers, the embedded S3
 * server, the JIT compiler.
 *
 * <p>Threads that start and end between two samples are missed: the parts are a lower bound.
 */
public final class ProcessCpu {
  /** QEMU and anything else this JVM started. */
  public static final String VMM = "vmm";

  /** The threads that fetch, check and write chunks, lazy restores' included. */
  public static final String CHUNK_WORKERS = "chunk workers";

  /** The storage client's threads (requests, their signing, uploads). */
  public static final String STORAGE_CLIENT = "s3 client";

  public static final String S3_SERVER = "s3 server";

  /** The FUSE file server's loop, which answers the reads of served memory files. */
  public static final String FILE_SERVER = "file server";

  public static final String JIT = "jit";
  public static final String GC = "gc";
  public static final String OTHER = "other jvm";

  /** The parts, in the order a report shows them. */
  public static final List<String> PARTS =
      List.of(VMM, CHUNK_WORKERS, STORAGE_CLIENT, S3_SERVER, FILE_SERVER, JIT, GC, OTHER);

  /** Which part a thread belongs to. */
  @FunctionalInterface
  public interface Classifier {
    /**
     * @param process its process's name ({@code comm} of the process; empty if unreadable)
     * @param thread its own name ({@code comm}, at most 15 characters)
     * @param child whether its process is a descendant of this JVM rather than this JVM
     * @return one of the parts the {@link ProcessCpu} was made with
     */
    String part(String process, String thread, boolean child);
  }

  private final Path proc;
  private final long pid;
  private final Supplier<Stream<Long>> children;
  private final List<String> parts;
  private final Classifier classifier;

  private ProcessCpu(
      Path proc,
      long pid,
      Supplier<Stream<Long>> children,
      List<String> parts,
      Classifier classifier) {
    this.proc = proc;
    this.pid = pid;
    this.children = children;
    this.parts = List.copyOf(parts);
    this.classifier = classifier;
  }

  /** This JVM and its descendants, in the {@link #PARTS}. */
  public static ProcessCpu self() {
    return self(PARTS, (process, thread, child) -> part(thread, child));
  }

  /** This JVM and its descendants, in {@code parts} as {@code classifier} assigns them. */
  public static ProcessCpu self(List<String> parts, Classifier classifier) {
    return new ProcessCpu(
        Path.of("/proc"),
        ProcessHandle.current().pid(),
        () -> ProcessHandle.current().descendants().map(ProcessHandle::pid),
        parts,
        classifier);
  }

  /** Reads {@code proc} (a tree in {@code /proc}'s layout) for {@code pid} and {@code children}. */
  static ProcessCpu reading(Path proc, long pid, List<Long> children) {
    return reading(proc, pid, children, PARTS, (process, thread, child) -> part(thread, child));
  }

  /** As {@link #reading(Path, long, List)}, in {@code parts} as {@code classifier} assigns them. */
  static ProcessCpu reading(
      Path proc, long pid, List<Long> children, List<String> parts, Classifier classifier) {
    return new ProcessCpu(proc, pid, children::stream, parts, classifier);
  }

  /** Which part a thread belongs to, by its name ({@code comm}, at most 15 characters). */
  static String part(String threadName, boolean child) {
    if (child) {
      return VMM;
    }
    if (threadName.startsWith("thaw-chunk") || threadName.startsWith("thaw-lazy-fill")) {
      return CHUNK_WORKERS;
    }
    if (threadName.startsWith("thaw-remote-io")) {
      return STORAGE_CLIENT;
    }
    if (threadName.startsWith("jnr-fuse")) {
      return FILE_SERVER;
    }
    if (threadName.startsWith("S3Proxy") || threadName.startsWith("qtp")) {
      return S3_SERVER;
    }
    if (threadName.contains("CompilerThre")) {
      return JIT;
    }
    if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ")) {
      return GC;
    }
    return OTHER;
  }

  /** Run time so far of every live thread; empty where {@code /proc} cannot be read. */
  public Sample sample() {
    Map<String, Ran> threads = new HashMap<>();
    read(pid, false, threads);
    children.get().forEach(child -> read(child, true, threads));
    return new Sample(threads, parts);
  }

  /** How long one thread has run, and the part it belongs to. */
  private record Ran(String part, long nanos) {}

  private void read(long process, boolean child, Map<String, Ran> threads) {
    Path dir = proc.resolve(Long.toString(process));
    String processName;
    try {
      processName = Files.readString(dir.resolve("comm")).trim();
    } catch (IOException e) {
      processName = "";
    }
    String ofProcess = processName;
    try (Stream<Path> tasks = Files.list(dir.resolve("task"))) {
      tasks.forEach(
          task -> {
            try {
              String name = Files.readString(task.resolve("comm")).trim();
              String first = Files.readString(task.resolve("schedstat")).trim().split("\\s+")[0];
              threads.put(
                  process + "/" + task.getFileName(),
                  new Ran(classifier.part(ofProcess, name, child), Long.parseLong(first)));
            } catch (IOException | NumberFormatException e) {
              // The thread ended while being read: it is missed (see the class comment).
            }
          });
    } catch (IOException e) {
      // The process ended, or this is not Linux.
    }
  }

  /** Run time per thread at one moment. */
  public static final class Sample {
    /** By process and thread id. */
    private final Map<String, Ran> threads;

    private final List<String> parts;

    private Sample(Map<String, Ran> threads, List<String> parts) {
      this.threads = threads;
      this.parts = parts;
    }

    /**
     * Milliseconds each part ran since {@code earlier}, every part present, in order; threads new
     * since then count in full.
     */
    public Map<String, Double> millisSince(Sample earlier) {
      Map<String, Double> ms = new LinkedHashMap<>();
      parts.forEach(p -> ms.put(p, 0.0));
      threads.forEach(
          (key, now) -> {
            Ran before = earlier.threads.get(key);
            long nanos = now.nanos() - (before == null ? 0 : before.nanos());
            ms.merge(now.part(), nanos / 1e6, Double::sum);
          });
      return ms;
    }
  }
}
