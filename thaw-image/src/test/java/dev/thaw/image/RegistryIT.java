package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images pushed by jib-core to a real registry server (Debian's docker-registry) on 127.0.0.1,
 * pulled through Thaw's client and built into erofs root images.
 */
class RegistryIT {
  private static final RegistryCredentials USER = new RegistryCredentials("thaw", "s3cret-pw");

  @TempDir Path tmp;

  private ImageSources.Registries anonymous() {
    return new ImageSources.Registries(
        Optional.empty(), tmp.resolve("no-docker-config.json"), Set.of(), Duration.ofSeconds(20));
  }

  /** Pushes a two-layer image from scratch with jib; returns its manifest digest. */
  private String pushWithJib(RegistryServer r, String repoTag, Optional<RegistryCredentials> c)
      throws Exception {
    Path greeting = Files.writeString(tmp.resolve("greeting.txt"), "hello from jib");
    Path tool = Files.writeString(tmp.resolve("tool"), "#!/bin/sh\necho tool\n");
    RegistryImage target = RegistryImage.named(r.host() + "/" + repoTag);
    c.ifPresent(x -> target.addCredential(x.username(), x.password()));
    Instant time = Instant.parse("2025-05-05T05:05:05Z");
    return Jib.fromScratch()
        .addFileEntriesLayer(
            FileEntriesLayer.builder()
                .addEntry(
                    tool,
                    AbsoluteUnixPath.get("/bin/tool"),
                    FilePermissions.fromOctalString("755"),
                    time)
                .build())
        .addFileEntriesLayer(
            FileEntriesLayer.builder()
                .addEntry(
                    greeting,
                    AbsoluteUnixPath.get("/srv/greeting.txt"),
                    FilePermissions.fromOctalString("640"),
                    time,
                    "1000:1001")
                .build())
        .setEntrypoint("/bin/tool")
        .setProgramArguments("serve")
        .setEnvironment(Map.of("GREETING", "hi"))
        .setWorkingDirectory(AbsoluteUnixPath.get("/srv"))
        .setExposedPorts(Port.tcp(9000))
        .containerize(
            Containerizer.to(target)
                .setAllowInsecureRegistries(true)
                .setBaseImageLayersCache(tmp.resolve("jib-base"))
                .setApplicationLayersCache(tmp.resolve("jib-app")))
        .getDigest()
        .toString();
  }

  private RootImageBuilder builder() throws Exception {
    return RootImageBuilder.builder(
            RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now))
        .build();
  }

  private RootImageBuilder.Result build(
      RootImageBuilder builder, String ref, ImageSources.Registries registries) throws Exception {
    try (ImageSource s = ImageSources.open(ref, registries)) {
      return builder.build(s);
    }
  }

  @Test
  void whatJibPushedIsPulledByTagAndByDigestIntoOneRootImage() throws Exception {
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.empty())) {
      String digest = pushWithJib(r, "fn/app:v1", Optional.empty());
      RootImageBuilder builder = builder();

      RootImageBuilder.Result first = build(builder, r.host() + "/fn/app:v1", anonymous());
      assertThat(first.built()).isTrue();
      assertThat(first.layers()).isEqualTo(2);
      RootImage image = first.image();
      assertThat(image.imageDigest()).isEqualTo(digest);
      assertThat(image.format()).isEqualTo(FilesystemFormat.EROFS);
      assertThat(image.config().command()).containsExactly("/bin/tool", "serve");
      assertThat(image.config().env()).contains("GREETING=hi");
      assertThat(image.config().workingDir()).isEqualTo("/srv");
      assertThat(image.config().exposedPorts()).containsExactly(9000);

      Path files = Filesystems.extract(image, tmp.resolve("extracted"));
      Path greeting = files.resolve("srv/greeting.txt");
      assertThat(Files.readString(greeting)).isEqualTo("hello from jib");
      assertThat(Files.getAttribute(greeting, "unix:mode")).isEqualTo(0100640);
      assertThat(Files.getAttribute(greeting, "unix:uid")).isEqualTo(1000);
      assertThat(Files.getAttribute(greeting, "unix:gid")).isEqualTo(1001);
      assertThat(Files.getLastModifiedTime(greeting).toInstant())
          .isEqualTo(Instant.parse("2025-05-05T05:05:05Z"));
      assertThat(Files.isExecutable(files.resolve("bin/tool"))).isTrue();

      RootImageBuilder.Result byDigest =
          build(builder, r.host() + "/fn/app@" + digest, anonymous());
      assertThat(byDigest.built()).isFalse();
      assertThat(byDigest.image()).isEqualTo(image);
      r.close();
      assertThatThrownBy(() -> build(builder, r.host() + "/fn/app:v1", anonymous()))
          .as("a tag may have moved: asked of the registry, which is gone")
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("cannot reach registry");
      assertThat(build(builder, r.host() + "/fn/app@" + digest, anonymous()).image())
          .as("a pinned digest cached needs no registry")
          .isEqualTo(image);
    }
  }

  @Test
  void aMultiPlatformIndexResolvesToItsLinuxAmd64Image() throws Exception {
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.empty())) {
      String digest = pushWithJib(r, "fn/app:v1", Optional.empty());
      byte[] manifest = fetch(r, digest);
      String entry =
          "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%d,\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}}";
      String index =
          "{\"schemaVersion\":2,\"mediaType\":\""
              + Manifests.DOCKER_LIST
              + "\",\"manifests\":["
              + String.format(entry, Manifests.DOCKER_MANIFEST, digest, manifest.length, "arm64")
              + ","
              + String.format(entry, Manifests.DOCKER_MANIFEST, digest, manifest.length, "amd64")
              + "]}";
      new LayoutPusher(r.url(), "fn/app")
          .putManifest(index.getBytes(StandardCharsets.UTF_8), Manifests.DOCKER_LIST, "multi");

      RootImage image = build(builder(), r.host() + "/fn/app:multi", anonymous()).image();
      assertThat(image.imageDigest()).isEqualTo(digest);
    }
  }

  private static byte[] fetch(RegistryServer r, String digest) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    return http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(r.url() + "/v2/fn/app/manifests/" + digest))
                .header("Accept", Manifests.ACCEPT)
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray())
        .body();
  }

  @Test
  void anUnknownTagIsRefusedNamingIt() throws Exception {
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.empty())) {
      assertThatThrownBy(() -> build(builder(), r.host() + "/fn/none:v9", anonymous()))
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.status()).isEqualTo(404))
          .hasMessageContaining("/v2/fn/none/manifests/v9")
          .hasMessageContaining("404");
    }
  }

  @Test
  void aBlobTheRegistryServesWrongIsRefusedAndNothingIsKept() throws Exception {
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.empty())) {
      String digest = pushWithJib(r, "fn/app:v1", Optional.empty());
      byte[] manifest = fetch(r, digest);
      String layer =
          Manifests.JSON.readTree(manifest).path("layers").get(1).path("digest").asString();
      Path data = r.blobData(layer);
      byte[] bytes = Files.readAllBytes(data);
      bytes[bytes.length / 2] ^= 0x01; // one bit flipped on the registry's disk
      Files.write(data, bytes);

      assertThatThrownBy(() -> build(builder(), r.host() + "/fn/app:v1", anonymous()))
          .isInstanceOfSatisfying(
              DigestMismatchException.class, e -> assertThat(e.expected()).isEqualTo(layer))
          .hasMessageContaining(layer);
      try (Stream<Path> s = Files.list(tmp.resolve("cache/entries"))) {
        assertThat(s).isEmpty();
      }
      try (Stream<Path> s = Files.list(tmp.resolve("cache/tmp"))) {
        assertThat(s).isEmpty();
      }
    }
  }

  @Test
  void credentialsComeFromTheDockerConfigOrTheCallerAndAreNeverShown() throws Exception {
    String previous = System.setProperty("sendCredentialsOverHttp", "true");
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.of(USER))) {
      String digest = pushWithJib(r, "private/app:v1", Optional.of(USER));
      String ref = r.host() + "/private/app:v1";

      assertThatThrownBy(() -> build(builder(), ref, anonymous()))
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.status()).isEqualTo(401))
          .hasMessageContaining("give credentials");
      RegistryCredentials wrong = new RegistryCredentials("thaw", "not-the-password");
      assertThatThrownBy(
              () -> build(builder(), ref, anonymous().withCredentials(Optional.of(wrong))))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("user thaw")
          .hasMessageNotContaining("not-the-password");

      Path dockerConfig = tmp.resolve("docker/config.json");
      Files.createDirectories(dockerConfig.getParent());
      String auth =
          Base64.getEncoder().encodeToString("thaw:s3cret-pw".getBytes(StandardCharsets.UTF_8));
      Files.writeString(
          dockerConfig, "{\"auths\":{\"" + r.host() + "\":{\"auth\":\"" + auth + "\"}}}");
      ImageSources.Registries fromConfig =
          new ImageSources.Registries(
              Optional.empty(), dockerConfig, Set.of(), Duration.ofSeconds(20));
      assertThat(build(builder(), ref, fromConfig).image().imageDigest()).isEqualTo(digest);
      assertThat(
              build(builder(), ref, anonymous().withCredentials(Optional.of(USER)))
                  .image()
                  .imageDigest())
          .isEqualTo(digest);
    } finally {
      if (previous == null) {
        System.clearProperty("sendCredentialsOverHttp");
      } else {
        System.setProperty("sendCredentialsOverHttp", previous);
      }
    }
  }

  @Test
  void aRegistryWithTokenAuthenticationGivesATokenForTheCredentials() throws Exception {
    String previous = System.setProperty("sendCredentialsOverHttp", "true");
    try (TokenServer tokens = TokenServer.start(tmp.resolve("tokens"), USER);
        RegistryServer r = RegistryServer.withTokens(tmp.resolve("registry"), tokens)) {
      String digest = pushWithJib(r, "team/app:v1", Optional.of(USER));
      String ref = r.host() + "/team/app:v1";

      RootImageBuilder.Result built =
          build(builder(), ref, anonymous().withCredentials(Optional.of(USER)));
      assertThat(built.image().imageDigest()).isEqualTo(digest);
      assertThat(built.layers()).isEqualTo(2);

      assertThatThrownBy(() -> build(builder(), ref, anonymous()))
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.status()).isEqualTo(401))
          .hasMessageContaining("token service");
      RegistryCredentials wrong = new RegistryCredentials("thaw", "guess");
      assertThatThrownBy(
              () -> build(builder(), ref, anonymous().withCredentials(Optional.of(wrong))))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("user thaw")
          .hasMessageNotContaining("guess");
    } finally {
      if (previous == null) {
        System.clearProperty("sendCredentialsOverHttp");
      } else {
        System.setProperty("sendCredentialsOverHttp", previous);
      }
    }
  }

  @Test
  void anHttpsRegistryIsTrustedByItsCertificateAuthority() throws Exception {
    try (RegistryServer r = RegistryServer.withTls(tmp.resolve("registry"))) {
      String digest = pushWithJib(r, "fn/app:v1", Optional.empty());
      String ref = r.host() + "/fn/app:v1";

      ImageSources.Registries trusting =
          anonymous().withCaCertificates(Optional.of(r.certificate()));
      assertThat(build(builder(), ref, trusting).image().imageDigest()).isEqualTo(digest);

      // Untrusted, a loopback registry falls back to plain HTTP, which a TLS server refuses.
      assertThatThrownBy(() -> build(builder(), ref, anonymous()))
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.status()).isEqualTo(400))
          .hasMessageContaining("HTTPS server");
    }
  }

  @Test
  void theSameImageMayBeWrittenAsExt4OrSquashfs() throws Exception {
    try (RegistryServer r = RegistryServer.start(tmp.resolve("registry"), Optional.empty())) {
      pushWithJib(r, "fn/app:v1", Optional.empty());
      RootImageCache cache = RootImageCache.open(tmp.resolve("cache"), 1L << 30, Instant::now);
      for (FilesystemFormat f : List.of(FilesystemFormat.EXT4, FilesystemFormat.SQUASHFS)) {
        RootImage image;
        try (ImageSource s = ImageSources.open(r.host() + "/fn/app:v1", anonymous())) {
          image = RootImageBuilder.builder(cache).format(f).build().build(s).image();
        }
        Path files = Filesystems.extract(image, tmp.resolve("x-" + f));
        assertThat(Files.readString(files.resolve("srv/greeting.txt"))).isEqualTo("hello from jib");
        assertThat(Files.getAttribute(files.resolve("srv/greeting.txt"), "unix:uid"))
            .isEqualTo(1000);
      }
    }
  }
}
