package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

  @Test
  void aBareNameIsAnOfficialImageOnDockerHubAtLatest() {
    ImageReference r = ImageReference.parse("python");
    assertThat(r)
        .isEqualTo(
            new ImageReference(
                "docker.io", "library/python", Optional.of("latest"), Optional.empty()));
    assertThat(r.apiHost()).isEqualTo("registry-1.docker.io");
    assertThat(r.toString()).isEqualTo("docker.io/library/python:latest");
  }

  @Test
  void aUserRepositoryOnDockerHubKeepsItsPath() {
    ImageReference r = ImageReference.parse("someone/fn:v2");
    assertThat(r.registry()).isEqualTo("docker.io");
    assertThat(r.repository()).isEqualTo("someone/fn");
    assertThat(r.manifestReference()).isEqualTo("v2");
  }

  @Test
  void aFirstComponentWithAPortDotOrLocalhostIsTheRegistry() {
    assertThat(ImageReference.parse("localhost:5000/fn:v1"))
        .isEqualTo(new ImageReference("localhost:5000", "fn", Optional.of("v1"), Optional.empty()));
    assertThat(ImageReference.parse("localhost/a/b").registry()).isEqualTo("localhost");
    assertThat(ImageReference.parse("ghcr.io/org/app").repository()).isEqualTo("org/app");
    assertThat(ImageReference.parse("127.0.0.1:41234/python:1").apiHost())
        .isEqualTo("127.0.0.1:41234");
    assertThat(ImageReference.parse("index.docker.io/library/busybox").registry())
        .isEqualTo("docker.io");
  }

  @Test
  void aDigestPinsTheManifestEvenWithATag() {
    ImageReference r = ImageReference.parse("localhost:5000/fn:v1@" + DIGEST);
    assertThat(r.tag()).contains("v1");
    assertThat(r.digest()).contains(DIGEST);
    assertThat(r.manifestReference()).isEqualTo(DIGEST);
    ImageReference bare = ImageReference.parse("fn@" + DIGEST);
    assertThat(bare.tag()).isEmpty();
    assertThat(bare.toString()).isEqualTo("docker.io/library/fn@" + DIGEST);
  }

  @Test
  void badReferencesAreRefusedNamingThePart() {
    assertThatThrownBy(() -> ImageReference.parse("Python"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repository");
    assertThatThrownBy(() -> ImageReference.parse("fn@sha256:abc")).hasMessageContaining("digest");
    assertThatThrownBy(() -> ImageReference.parse("fn:bad/tag/x:"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ImageReference.parse("fn:-x")).hasMessageContaining("tag");
    assertThatThrownBy(() -> ImageReference.parse("  ")).hasMessageContaining("empty");
    assertThatThrownBy(() -> ImageReference.parse("a//b")).hasMessageContaining("repository");
  }
}
