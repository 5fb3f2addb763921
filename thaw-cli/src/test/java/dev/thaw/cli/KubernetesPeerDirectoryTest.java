package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.Revision;
import dev.thaw.node.peer.PeerEndpoint;
import java.net.URI;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KubernetesPeerDirectoryTest {
  @Test
  void theOtherHoldersOfTheRevisionAreItsPeersAndNeverItself() {
    SortedMap<String, URI> r1 = new TreeMap<>();
    r1.put("node-a", URI.create("http://10.0.0.1:8701"));
    r1.put("node-b", URI.create("http://10.0.0.2:8701"));
    KubernetesPeerDirectory dir =
        new KubernetesPeerDirectory(
            "node-a", r -> r.equals("r1-00001") ? r1 : new TreeMap<String, URI>());

    assertThat(dir.holding(Revision.of("r1-00001")))
        .containsExactly(new PeerEndpoint("node-b", URI.create("http://10.0.0.2:8701")));
    assertThat(dir.holding(Revision.of("r2-00001"))).isEmpty();
  }
}
