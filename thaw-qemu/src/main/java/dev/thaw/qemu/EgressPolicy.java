package dev.thaw.qemu;

import dev.thaw.core.function.EgressRule;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where one outbound connection of a function may go: to a destination one of its {@link
 * EgressRule}s names, at an address that is neither special (loopback, link-local, …) nor the
 * node's own. Names are resolved here, when the function connects, and every address they resolve
 * to is checked, so a name cannot be pointed at the node later.
 */
final class EgressPolicy {
  /** A decision about one connection. */
  sealed interface Decision {
    /** Connect to {@code to}. */
    record Connect(InetSocketAddress to) implements Decision {}

    /** Refuse the connection, for {@code why}. */
    record Refuse(String why) implements Decision {}
  }

  /** Resolves a host name; a port so tests can answer without DNS. */
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final List<EgressRule> rules;
  private final Resolver resolver;
  private final Predicate<InetAddress> nodeAddress;
  private final Set<Integer> refusedPorts;

  EgressPolicy(List<EgressRule> rules, Resolver resolver, Predicate<InetAddress> nodeAddress) {
    this(rules, resolver, nodeAddress, Set.of());
  }

  /**
   * As the others, refusing besides every connection to a port of {@code refusedPorts} at any
   * address: the ports the node's own services listen on beyond this host (the agents' peer port),
   * which another node's address would otherwise reach.
   */
  EgressPolicy(
      List<EgressRule> rules,
      Resolver resolver,
      Predicate<InetAddress> nodeAddress,
      Set<Integer> refusedPorts) {
    this.rules = List.copyOf(rules);
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.nodeAddress = Objects.requireNonNull(nodeAddress, "nodeAddress");
    this.refusedPorts = Set.copyOf(refusedPorts);
  }

  /**
   * The policy of {@code rules} on this node: the system's resolver, this host's addresses, and the
   * cluster's {@code refusedPorts}.
   */
  static EgressPolicy of(List<EgressRule> rules, Set<Integer> refusedPorts) {
    return new EgressPolicy(rules, InetAddress::getAllByName, NodeAddresses::isLocal, refusedPorts);
  }

  /** Where a connection to {@code host}:{@code port} goes, or why it does not. */
  Decision decide(String destination, int port) {
    String host = destination.toLowerCase(Locale.ROOT);
    if (refusedPorts.contains(port)) {
      return new Decision.Refuse(
          "port " + port + " is one of the cluster's own services (the agents' peer port)");
    }
    if (rules.stream().noneMatch(r -> r.matches(host, port))) {
      return new Decision.Refuse(host + ":" + port + " is not among the function's egress rules");
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(host);
    } catch (UnknownHostException e) {
      return new Decision.Refuse("cannot resolve " + host);
    }
    if (addresses.length == 0) {
      return new Decision.Refuse("cannot resolve " + host);
    }
    for (InetAddress a : addresses) {
      Optional<String> why = EgressRule.refuseSpecial(a);
      if (why.isEmpty() && nodeAddress.test(a)) {
        why = Optional.of("this node's own address");
      }
      if (why.isPresent()) {
        return new Decision.Refuse(
            host + " resolves to " + a.getHostAddress() + ", which is refused: " + why.get());
      }
    }
    return new Decision.Connect(new InetSocketAddress(addresses[0], port));
  }
}
