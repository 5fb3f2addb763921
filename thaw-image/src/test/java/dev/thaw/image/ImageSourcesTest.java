package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layouts, archives and tarballs are read alike; what is not an image is refused by name. */
class ImageSourcesTest {
  static final String CONFIG =
      "{\"Entrypoint\":[\"/bin/app\"],\"Cmd\":[\"--port\",\"8080\"],\"Env\":[\"A=1\"],"
          + "\"WorkingDir\":\"/srv\",\"User\":\"1000:1000\","
          + "\"ExposedPorts\":{\"8080/tcp\":{},\"53/udp\":{}}}";

  @TempDir Path tmp;
  private byte[] layer;
  private final ImageSources.Registries registries =
      ImageSources.Registries.fromEnvironment(java.util.Map.of());

  @BeforeEach
  void layer() throws Exception {
    layer = Tars.tar().file("bin/app", "#!app").bytes();
  }

  private ResolvedImage resolve(String ref) throws Exception {
    try (ImageSource s = ImageSources.open(ref, registries)) {
      return s.resolve();
    }
  }

  private RootImageCache cache() throws Exception {
    return RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now);
  }

  private void assertCacheEmpty() throws Exception {
    for (String sub : List.of("entries", "tmp")) {
      try (Stream<Path> s = Files.list(tmp.resolve("cache").resolve(sub))) {
        assertThat(s).as(sub).isEmpty();
      }
    }
  }

  @Test
  void anOciLayoutGivesTheManifestDigestTheConfigAndTheLayers() throws Exception {
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, layer);
    ResolvedImage image = resolve(w.dir().toString());
    assertThat(image.digest()).isEqualTo(w.digest());
    assertThat(image.config())
        .isEqualTo(
            new ImageConfig(
                List.of("/bin/app"),
                List.of("--port", "8080"),
                List.of("A=1"),
                "/srv",
                "1000:1000",
                java.util.Set.of(8080)));
    assertThat(image.config().command()).containsExactly("/bin/app", "--port", "8080");
    assertThat(image.layers())
        .singleElement()
        .extracting(Descriptor::digest)
        .isEqualTo(Layouts.digest(layer));
    assertThat(resolve(w.dir() + ":v1").digest()).isEqualTo(w.digest());
    assertThatThrownBy(() -> resolve(w.dir() + ":v2"))
        .isInstanceOf(NotAnImageException.class)
        .hasMessageContaining("no image named 'v2'")
        .hasMessageContaining("v1");
  }

  @Test
  void theConfigsStringLabelsAreRead() throws Exception {
    String config =
        CONFIG.substring(0, CONFIG.length() - 1)
            + ",\"Labels\":{\"dev.thaw.hooks.after-restore\":\"/renew\",\"odd\":7}}";
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), config, layer);
    assertThat(resolve(w.dir().toString()).config().labels())
        .containsExactlyEntriesOf(java.util.Map.of("dev.thaw.hooks.after-restore", "/renew"));
    Layouts.Written none = Layouts.layout(tmp.resolve("plain"), CONFIG, layer);
    assertThat(resolve(none.dir().toString()).config().labels()).isEmpty();
  }

  @Test
  void anOciArchiveIsTheSameImage() throws Exception {
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, layer);
    Path tar = Layouts.archive(w.dir(), tmp.resolve("image.tar"));
    assertThat(resolve(tar.toString()).digest()).isEqualTo(w.digest());
  }

  @Test
  void aDockerSaveTarballIsNamedByItsConfigAndItsLayersCheckedByDiffId() throws Exception {
    Path tar = Layouts.dockerSave(tmp, CONFIG, List.of(layer), "fn:v1");
    try (ImageSource s = ImageSources.open(tar.toString(), registries)) {
      ResolvedImage image = s.resolve();
      assertThat(image.config().entrypoint()).containsExactly("/bin/app");
      assertThat(image.digest())
          .isEqualTo(
              Layouts.digest(
                  Layouts.config(CONFIG, List.of(layer)).getBytes(StandardCharsets.UTF_8)));
      Descriptor d = image.layers().get(0);
      try (InputStream raw = s.openBlob(d);
          VerifyingInputStream in = new VerifyingInputStream(raw, d, "layer")) {
        assertThat(in.readAllBytes()).isEqualTo(layer);
        in.verifyToEnd();
      }
    }
    assertThat(resolve(tar + ":fn:v1").layers()).hasSize(1);
    assertThatThrownBy(() -> resolve(tar + ":fn:v9")).hasMessageContaining("no image tagged");
  }

  @Test
  void anIndexResolvesToItsLinuxAmd64ImageAndWithoutOneIsRefused() throws Exception {
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, layer);
    byte[] manifest =
        Files.readAllBytes(w.dir().resolve("blobs/sha256/" + w.digest().substring(7)));
    String entry =
        "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%d,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}}";
    String arm =
        String.format(entry, Manifests.OCI_MANIFEST, Layouts.digest("x".getBytes()), 1, "arm64");
    String amd = String.format(entry, Manifests.OCI_MANIFEST, w.digest(), manifest.length, "amd64");
    byte[] index =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + Manifests.OCI_INDEX
                + "\",\"manifests\":["
                + arm
                + ","
                + amd
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    Layouts.blob(w.dir(), index);
    Files.writeString(
        w.dir().resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":["
            + Layouts.descriptor(Manifests.OCI_INDEX, index)
            + "]}");
    assertThat(resolve(w.dir().toString()).digest()).isEqualTo(w.digest());

    byte[] armOnly =
        ("{\"schemaVersion\":2,\"manifests\":[" + arm + "]}").getBytes(StandardCharsets.UTF_8);
    Layouts.blob(w.dir(), armOnly);
    Files.writeString(
        w.dir().resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":["
            + Layouts.descriptor(Manifests.OCI_INDEX, armOnly)
            + "]}");
    assertThatThrownBy(() -> resolve(w.dir().toString()))
        .isInstanceOf(NotAnImageException.class)
        .hasMessageContaining("no linux/amd64 image")
        .hasMessageContaining("linux/arm64");
  }

  @Test
  void whatIsNotAnImageIsRefusedAsSuch() throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertThatThrownBy(() -> resolve(empty.toString()))
        .isInstanceOf(NotAnImageException.class)
        .hasMessageContaining("no oci-layout");
    Path text = Files.writeString(tmp.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> resolve(text.toString()))
        .isInstanceOf(NotAnImageException.class)
        .hasMessageContaining("not an image");
    Path gz = Files.write(tmp.resolve("image.tar.gz"), Tars.tar().file("a", "b").gzip());
    assertThatThrownBy(() -> resolve(gz.toString())).hasMessageContaining("decompress");
    Path plainTar = Files.write(tmp.resolve("files.tar"), Tars.tar().file("a", "b").bytes());
    assertThatThrownBy(() -> resolve(plainTar.toString()))
        .isInstanceOf(NotAnImageException.class)
        .hasMessageContaining("neither oci-layout nor manifest.json");
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, layer);
    Files.writeString(w.dir().resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}");
    assertThatThrownBy(() -> resolve(w.dir().toString())).hasMessageContaining("lists no image");
    assertThatThrownBy(() -> resolve("Not A Reference"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anArtifactThatIsNoContainerImageIsRefused() throws Exception {
    Path dir = tmp.resolve("artifact");
    Files.createDirectories(dir.resolve("blobs/sha256"));
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"config\":"
                + Layouts.descriptor("application/vnd.cncf.helm.config.v1+json", config)
                + ",\"layers\":[]}")
            .getBytes(StandardCharsets.UTF_8);
    Layouts.blob(dir, config);
    Layouts.blob(dir, manifest);
    Files.writeString(dir.resolve("oci-layout"), "{}");
    Files.writeString(
        dir.resolve("index.json"),
        "{\"manifests\":[" + Layouts.descriptor(Manifests.OCI_MANIFEST, manifest) + "]}");
    assertThatThrownBy(() -> resolve(dir.toString()))
        .isInstanceOf(NotAnImageException.class)
        .hasMessageContaining("not a container image")
        .hasMessageContaining("helm");
  }

  @Test
  void aCorruptConfigIsRefusedOnItsDigest() throws Exception {
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, layer);
    Path config =
        w.dir()
            .resolve(
                "blobs/sha256/"
                    + Layouts.digest(
                            Layouts.config(CONFIG, List.of(layer)).getBytes(StandardCharsets.UTF_8))
                        .substring(7));
    Files.writeString(config, Files.readString(config).replace("/bin/app", "/bin/evl"));
    assertThatThrownBy(() -> resolve(w.dir().toString()))
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("config");
  }

  @Test
  void aLayerWhoseBytesDoNotMatchItsDigestIsRefusedAndLeavesNoEntry() throws Exception {
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, layer);
    byte[] evil = Tars.tar().file("bin/app", "#!evl").bytes();
    assertThat(evil.length).isEqualTo(layer.length);
    Files.write(w.dir().resolve("blobs/sha256/" + Layouts.digest(layer).substring(7)), evil);
    RootImageBuilder builder = RootImageBuilder.builder(cache()).build();
    try (ImageSource s = ImageSources.open(w.dir().toString(), registries)) {
      assertThatThrownBy(() -> builder.build(s))
          .isInstanceOfSatisfying(
              DigestMismatchException.class,
              e -> {
                assertThat(e.expected()).isEqualTo(Layouts.digest(layer));
                assertThat(e.actual()).isEqualTo(Layouts.digest(evil));
              })
          .hasMessageContaining("layer " + Layouts.digest(layer));
    }
    assertCacheEmpty();
  }

  @Test
  void anImageWithNeitherEntrypointNorCmdIsRefusedUnlessTheFunctionGivesOne() throws Exception {
    Layouts.Written w =
        Layouts.layout(
            tmp.resolve("layout"), "{\"Env\":[\"A=1\"],\"ExposedPorts\":{\"80/tcp\":{}}}", layer);
    RootImageBuilder builder = RootImageBuilder.builder(cache()).build();
    try (ImageSource s = ImageSources.open(w.dir().toString(), registries)) {
      assertThatThrownBy(() -> builder.build(s))
          .isInstanceOf(MissingCommandException.class)
          .hasMessageContaining("neither Entrypoint nor Cmd");
    }
    assertCacheEmpty();
  }

  @Test
  void aLayerLargerThanTheLimitIsRefusedBeforeItIsFetched() throws Exception {
    byte[] big = Tars.tar().file("big", new byte[50_000], 0644, 0, 0).bytes();
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, big);
    Files.delete(w.dir().resolve("blobs/sha256/" + Layouts.digest(big).substring(7)));
    RootImageBuilder builder =
        RootImageBuilder.builder(cache()).limits(new LayerLimits(10_000, 1 << 20)).build();
    try (ImageSource s = ImageSources.open(w.dir().toString(), registries)) {
      assertThatThrownBy(() -> builder.build(s))
          .isInstanceOf(LayerTooLargeException.class)
          .hasMessageContaining(Layouts.digest(big))
          .hasMessageContaining("over the limit of 10000");
    }
    assertCacheEmpty();
  }

  @Test
  void anUnsafeEntryFailsTheBuildAndLeavesNothing() throws Exception {
    byte[] evil = Tars.tar().file("../../escape", "x").bytes();
    Layouts.Written w = Layouts.layout(tmp.resolve("layout"), CONFIG, evil);
    RootImageBuilder builder = RootImageBuilder.builder(cache()).build();
    try (ImageSource s = ImageSources.open(w.dir().toString(), registries)) {
      assertThatThrownBy(() -> builder.build(s))
          .isInstanceOf(UnsafeLayerEntryException.class)
          .hasMessageContaining(Layouts.digest(evil))
          .hasMessageContaining("../../escape");
    }
    assertCacheEmpty();
    assertThat(tmp.getParent().resolve("escape")).doesNotExist();
  }
}
