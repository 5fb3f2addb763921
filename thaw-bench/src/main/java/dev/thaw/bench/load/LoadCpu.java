package dev.thaw.bench.load;

import java.util.List;

/**
 * Who spends a warm load's CPU, by process and thread: the load's own clients and the gateway (both
 * in the bench's JVM, told apart by their threads' names), the agents (child JVMs), the VMs (QEMU,
 * every other child), the JIT compilers of the bench's JVM and of the agents' apart, and the rest
 * of the bench's JVM (GC, the embedded S3 server, polls). Each path's CPU per request, split so,
 * says which hop costs what.
 */
final class LoadCpu {
  static final String CLIENTS = "clients";
  static final String GATEWAY = "gateway";
  static final String AGENT = "agent";
  static final String VMS = "vms";
  static final String JIT = "jit";
  static final String AGENT_JIT = "agent jit";
  static final String REST = "rest of jvm";

  /** The parts, in the order a report shows them. */
  static final List<String> PARTS = List.of(CLIENTS, GATEWAY, AGENT, VMS, JIT, AGENT_JIT, REST);

  private LoadCpu() {}

  /**
   * The part of a thread named {@code thread} ({@code comm}: at most 15 characters) in a process
   * named {@code process}, a child of the bench's JVM or the JVM itself.
   */
  static String part(String process, String thread, boolean child) {
    boolean jvm = !child || process.equals("java");
    if (jvm && thread.contains("CompilerThre")) {
      return child ? AGENT_JIT : JIT;
    }
    if (child) {
      return jvm ? AGENT : VMS;
    }
    if (thread.startsWith("thaw-load")) {
      // The ClosedLoop's clients and their HTTP client's threads.
      return CLIENTS;
    }
    if (thread.startsWith("thaw-gateway") || thread.startsWith("thaw-agent-clie")) {
      // The gateway's server, its polls, and its client of the agents.
      return GATEWAY;
    }
    return REST;
  }
}
