package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.Revision;
import dev.thaw.image.ImageException;
import dev.thaw.image.ImageSources;
import dev.thaw.image.RegistryException;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.node.protocol.Refused;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a deployment's image is obtained and named, and whose fault a refused image is. */
class ImageFunctionsTest {
  @Test
  void functionIdsComeFromRevisionsWithoutDotsAndWithinBounds() {
    assertThat(ImageFunctions.functionId(Revision.of("python-fn.v2"))).isEqualTo("python-fn-v2");
    assertThat(ImageFunctions.functionId(Revision.of("a".repeat(100)))).hasSize(63);
  }

  @Test
  void aRegistryThatCannotBeReachedIsTheRegistrysFailure502NotTheDeployments(@TempDir Path dir)
      throws Exception {
    ImageFunctions functions =
        new ImageFunctions(
            RootImageBuilder.builder(
                    RootImageCache.open(dir.resolve("images"), 1L << 30, Instant::now))
                .build(),
            new ImageSources.Registries(
                Optional.empty(), dir.resolve("none.json"), Set.of(), Duration.ofSeconds(5)));
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    assertThatThrownBy(
            () -> functions.resolve(Revision.of("fn"), ImageDeployment.of("127.0.0.1:1/fn/x:v1")))
        .isInstanceOfSatisfying(
            Refused.class,
            r -> {
              assertThat(r.kind()).isEqualTo(Refused.Kind.FAILED);
              assertThat(Refused.httpStatus(r.kind())).isEqualTo(502);
              assertThat(r.getMessage()).contains("cannot reach registry 127.0.0.1:1");
            });
  }

  @Test
  void registryRefusalsAreTheDeploymentsAndItsOwnErrorsTheRegistrys() {
    assertThat(ImageFunctions.refusalOf(new RegistryException("unknown tag", 404)))
        .isEqualTo(Refused.Kind.INVALID);
    assertThat(ImageFunctions.refusalOf(new RegistryException("refused credentials", 401)))
        .isEqualTo(Refused.Kind.INVALID);
    assertThat(ImageFunctions.refusalOf(new RegistryException("down", 503)))
        .isEqualTo(Refused.Kind.FAILED);
    assertThat(ImageFunctions.refusalOf(new RegistryException("slow down", 429)))
        .isEqualTo(Refused.Kind.FAILED);
    assertThat(ImageFunctions.refusalOf(new RegistryException("unreachable", new Exception())))
        .isEqualTo(Refused.Kind.FAILED);
    assertThat(ImageFunctions.refusalOf(new ImageException("not an image")))
        .isEqualTo(Refused.Kind.INVALID);
  }
}
