package dev.thaw.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Every manifest under deploy/ parses into its typed model and says what docs/kubernetes.md says.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final KubernetesClient CLIENT = new KubernetesClientBuilder().build();

  @AfterAll
  static void close() {
    CLIENT.close();
  }

  private static List<HasMetadata> load(String file) throws Exception {
    try (InputStream in = Files.newInputStream(DEPLOY.resolve(file))) {
      return CLIENT.load(in).items();
    }
  }

  @Test
  void theCommittedCrdIsTheGeneratedOne() throws Exception {
    String generated;
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/fabric8/nodesnapshotcaches.thaw.dev-v1.yml")) {
      generated = new String(in.readAllBytes());
    }
    assertThat(Files.readString(DEPLOY.resolve("crd.yaml"))).isEqualTo(generated);
    CustomResourceDefinition crd = (CustomResourceDefinition) load("crd.yaml").get(0);
    assertThat(crd.getSpec().getScope()).isEqualTo("Cluster");
    assertThat(crd.getSpec().getGroup()).isEqualTo(NodeSnapshotCache.GROUP);
  }

  @Test
  void rbacGivesTheAgentWriteAndReadAndTheExtenderReadOnly() throws Exception {
    List<HasMetadata> rbac = load("rbac.yaml");
    assertThat(rbac).filteredOn(ServiceAccount.class::isInstance).hasSize(2);
    assertThat(rbac).filteredOn(ClusterRoleBinding.class::isInstance).hasSize(2);
    for (HasMetadata r : rbac) {
      if (r instanceof ClusterRole role) {
        List<String> verbs = role.getRules().get(0).getVerbs();
        if (role.getMetadata().getName().equals("thaw-agent")) {
          // list/watch: the informer that finds its peers (every node's object).
          assertThat(verbs).containsExactlyInAnyOrder("get", "list", "watch", "create", "update");
        } else {
          assertThat(verbs).containsExactlyInAnyOrder("get", "list", "watch");
        }
      }
    }
  }

  @Test
  void workloadsPolicyAndExamplesParse() throws Exception {
    assertThat(load("namespace.yaml")).first().isInstanceOf(Namespace.class);
    assertThat(load("admission-policy.yaml"))
        .hasExactlyElementsOfTypes(
            ValidatingAdmissionPolicy.class, ValidatingAdmissionPolicyBinding.class);
    DaemonSet agent = (DaemonSet) load("agent-daemonset.yaml").get(0);
    var container = agent.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getArgs()).contains("--advertise=kubernetes", "--name=$(NODE_NAME)");
    // Lazy restores serve memory files through FUSE: the device, and the right to mount.
    assertThat(container.getArgs()).contains("--mode=remote", "--lazy-restore");
    assertThat(container.getSecurityContext().getPrivileged()).isTrue();
    String fuseVolume =
        container.getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/dev/fuse"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("/dev/fuse is not mounted"))
            .getName();
    assertThat(agent.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo(fuseVolume);
              assertThat(v.getHostPath().getPath()).isEqualTo("/dev/fuse");
              assertThat(v.getHostPath().getType()).isEqualTo("CharDevice");
            });
    // The agent's mount stays in its own mount namespace (no propagation to the host).
    assertThat(container.getVolumeMounts())
        .allSatisfy(m -> assertThat(m.getMountPropagation()).isNotEqualTo("Bidirectional"));
    assertThat(container.getEnv())
        .anySatisfy(
            e ->
                assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                    .isEqualTo("spec.nodeName"));
    // The management token comes from a Secret into the environment, never into the arguments.
    assertThat(container.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("THAW_TOKEN");
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("thaw-token");
              assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
            });
    assertThat(container.getArgs()).noneMatch(a -> a.contains("token"));
    assertThat(load("extender.yaml")).hasSize(2).first().isInstanceOf(Deployment.class);
    assertThat(load("minio.yaml")).hasSize(3);
    HasMetadata knative = load("knative-service.yaml").get(0);
    assertThat(knative).isInstanceOf(GenericKubernetesResource.class);
    assertThat(knative.getApiVersion()).isEqualTo("serving.knative.dev/v1");
  }

  @Test
  void agentsReadEachOthersChunksOnThePodAddressBehindThePeerToken() throws Exception {
    DaemonSet agent = (DaemonSet) load("agent-daemonset.yaml").get(0);
    var container = agent.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getArgs()).contains("--peer-address=$(POD_IP):8701");
    assertThat(container.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("POD_IP");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
            });
    // The peer token comes from its own Secret, never the management token's.
    assertThat(container.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("THAW_PEER_TOKEN");
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("thaw-peer-token");
              assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
            });
    assertThat(container.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("peer");
              assertThat(p.getContainerPort()).isEqualTo(8701);
            });
    // Not on the host's network: the pod address is the agent's own, no other process's.
    assertThat(agent.getSpec().getTemplate().getSpec().getHostNetwork()).isNotEqualTo(true);

    NetworkPolicy policy = (NetworkPolicy) load("peer-networkpolicy.yaml").get(0);
    Map<String, String> agents = agent.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(policy.getMetadata().getNamespace()).isEqualTo(agent.getMetadata().getNamespace());
    assertThat(policy.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(Map.of("app.kubernetes.io/name", "thaw-agent"))
        .isEqualTo(agents);
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(policy.getSpec().getIngress()).hasSize(1);
    var rule = policy.getSpec().getIngress().get(0);
    assertThat(rule.getFrom()).hasSize(1);
    assertThat(rule.getFrom().get(0).getNamespaceSelector()).as("this namespace only").isNull();
    assertThat(rule.getFrom().get(0).getIpBlock()).isNull();
    assertThat(rule.getFrom().get(0).getPodSelector().getMatchLabels()).isEqualTo(agents);
    assertThat(rule.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getPort().getIntVal()).isEqualTo(8701);
              assertThat(p.getProtocol()).isEqualTo("TCP");
            });
  }

  @Test
  void theSchedulerConfigurationWiresTheExtenderAsTheReadmeSays() throws Exception {
    JsonNode config = new YAMLMapper().readTree(DEPLOY.resolve("scheduler-config.yaml").toFile());
    assertThat(config.path("kind").asString()).isEqualTo("KubeSchedulerConfiguration");
    assertThat(config.path("percentageOfNodesToScore").asInt()).isEqualTo(100);
    assertThat(config.path("profiles").get(0).path("schedulerName").asString())
        .isEqualTo("thaw-snapshot-locality");
    JsonNode extender = config.path("extenders").get(0);
    assertThat(extender.path("prioritizeVerb").asString()).isEqualTo("prioritize");
    assertThat(extender.path("nodeCacheCapable").asBoolean()).isTrue();
    assertThat(extender.path("weight").asInt()).isBetween(1, 10);
    assertThat(extender.path("urlPrefix").asString()).contains("thaw-extender");
  }
}
