package dev.thaw.qemu;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;

/** The node's own addresses, which no function's egress may name. */
final class NodeAddresses {
  private NodeAddresses() {}

  /**
   * Whether {@code address} belongs to one of this host's interfaces (as the kernel lists them
   * now): a connection there reaches the node's own services.
   */
  static boolean isLocal(InetAddress address) {
    try {
      return address.isLoopbackAddress()
          || address.isAnyLocalAddress()
          || NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      // Unable to tell: refuse, as a wrong "no" would open the node.
      return true;
    }
  }
}
