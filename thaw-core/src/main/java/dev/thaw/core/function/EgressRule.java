package dev.thaw.core.function;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One destination outside the node that a function may open TCP connections to, written {@code
 * HOST:PORT}: a DNS name ({@code api.example.com:443}) or an IPv4 address ({@code
 * 203.0.113.7:5432}). A function's VM reaches nothing else: not the host's loopback, not the node's
 * services, not another VM; its allowed destinations go through the node's egress proxy, which
 * checks each connection against these rules (see {@code EgressProxy} of the QEMU driver).
 *
 * <p>Refused here, whatever the deployer wants: {@code localhost} names, and addresses that are
 * loopback, unspecified, link-local (cloud metadata services among them), multicast or broadcast. A
 * name is resolved when the function connects, and refused then if it resolves to any of these or
 * to one of the node's own addresses (no rule can be turned against the node by DNS).
 *
 * @param host a lower-case DNS name or an IPv4 address
 * @param port the destination's TCP port
 */
public record EgressRule(String host, int port) {
  private static final Pattern FORM = Pattern.compile("([A-Za-z0-9.-]{1,253}):(\\d{1,5})");
  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  public EgressRule {
    Objects.requireNonNull(host, "host");
    host = host.toLowerCase(Locale.ROOT);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("an egress port is within 1..65535: " + port);
    }
    Optional<InetAddress> literal = literal(host);
    if (literal.isPresent()) {
      refuseSpecial(literal.get())
          .ifPresent(
              why -> {
                throw new IllegalArgumentException(
                    "egress to " + literal.get().getHostAddress() + " is refused: " + why);
              });
    } else {
      for (String label : host.split("\\.", -1)) {
        if (!LABEL.matcher(label).matches()) {
          throw new IllegalArgumentException("not a host name or IPv4 address: '" + host + "'");
        }
      }
      if (host.equals("localhost") || host.endsWith(".localhost")) {
        throw new IllegalArgumentException("egress to " + host + " is refused: loopback");
      }
    }
  }

  /**
   * Reads {@code HOST:PORT}.
   *
   * @throws IllegalArgumentException for anything else, and for the refused destinations
   */
  @JsonCreator
  public static EgressRule parse(String text) {
    Matcher m = FORM.matcher(Objects.requireNonNull(text, "egress rule"));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "an egress rule is HOST:PORT, e.g. api.example.com:443 or 203.0.113.7:5432: '"
              + text
              + "'");
    }
    return new EgressRule(m.group(1), Integer.parseInt(m.group(2)));
  }

  /** Whether a connection to {@code host}:{@code port} is this rule's. */
  public boolean matches(String host, int port) {
    return this.port == port && this.host.equals(host.toLowerCase(Locale.ROOT));
  }

  /**
   * Why a connection to {@code address} is refused whatever the rules say, or empty when it is not
   * one of the refused kinds (the node's own addresses are for the caller to check).
   */
  public static Optional<String> refuseSpecial(InetAddress address) {
    byte[] a = address.getAddress();
    if (address.isLoopbackAddress()) {
      return Optional.of("loopback");
    } else if (address.isAnyLocalAddress()) {
      return Optional.of("unspecified");
    } else if (address.isLinkLocalAddress()) {
      return Optional.of("link-local");
    } else if (address.isMulticastAddress()) {
      return Optional.of("multicast");
    } else if (a.length == 4 && (a[0] & 0xff) == 255) {
      return Optional.of("broadcast");
    }
    return Optional.empty();
  }

  /** {@code host} as an IPv4 address, when it is one. */
  private static Optional<InetAddress> literal(String host) {
    Matcher m = IPV4.matcher(host);
    if (!m.matches()) {
      return Optional.empty();
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      int v = Integer.parseInt(m.group(i + 1));
      if (v > 255) {
        throw new IllegalArgumentException("not an IPv4 address: '" + host + "'");
      }
      b[i] = (byte) v;
    }
    try {
      return Optional.of(InetAddress.getByAddress(b));
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("not an IPv4 address: '" + host + "'", e);
    }
  }

  /** {@code HOST:PORT}, as {@link #parse} reads it. */
  @JsonValue
  @Override
  public String toString() {
    return host + ":" + port;
  }
}
