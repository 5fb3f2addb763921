package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class FunctionImageTest {
  private static final Path ROOTFS = Path.of("/var/lib/thaw/images/a.ext4");
  private static final String DIGEST = "sha256:" + "ab".repeat(32);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static FunctionImage image(List<String> argv, List<String> env, String dir, int port) {
    return new FunctionImage(ROOTFS, DIGEST, argv, env, dir, "0", port);
  }

  @Test
  void describesTheFunctionToTheGuestAsNulEndedKeyValueStrings() {
    FunctionImage image =
        new FunctionImage(
            ROOTFS,
            DIGEST,
            List.of("/bin/httpd", "-f", "a b\nc"),
            List.of("PATH=/bin", "X=y=z"),
            "/www",
            "1000:100",
            8081);
    String text = new String(image.guestDescription(), StandardCharsets.UTF_8);
    assertThat(text.split("\0", -1))
        .containsExactly(
            "arg=/bin/httpd",
            "arg=-f",
            "arg=a b\nc",
            "env=PATH=/bin",
            "env=X=y=z",
            "dir=/www",
            "user=1000:100",
            "port=8081",
            "control=" + FunctionImage.CONTROL_PORT,
            "");
  }

  @Test
  void carriesSupplementaryGroupsAfterTheUserOnlyWhenThereAreSome() {
    FunctionImage image =
        new FunctionImage(
            ROOTFS, DIGEST, List.of("/f"), List.of(), "/", "1000:1000", List.of(2000, 3000), 81);
    assertThat(new String(image.guestDescription(), StandardCharsets.UTF_8).split("\0", -1))
        .containsExactly(
            "arg=/f",
            "dir=/",
            "user=1000:1000",
            "groups=2000,3000",
            "port=81",
            "control=" + FunctionImage.CONTROL_PORT,
            "");
    assertThat(new String(image(List.of("/f"), List.of(), "/", 81).guestDescription()))
        .doesNotContain("groups");
    assertThat(image.withRootfs(Path.of("/b.img")).groups()).containsExactly(2000, 3000);
    assertThat(image.withDefaultEnv(List.of("HOME=/")).groups()).containsExactly(2000, 3000);
  }

  @Test
  void boundsTheGroups() {
    List<Integer> most = Collections.nCopies(FunctionImage.MAX_GROUPS, 7);
    assertThat(
            new FunctionImage(ROOTFS, DIGEST, List.of("x"), List.of(), "/", "1", most, 80).groups())
        .hasSize(FunctionImage.MAX_GROUPS);
    List<Integer> over = Collections.nCopies(FunctionImage.MAX_GROUPS + 1, 7);
    assertThatThrownBy(
            () -> new FunctionImage(ROOTFS, DIGEST, List.of("x"), List.of(), "/", "1", over, 80))
        .hasMessageContaining("at most " + FunctionImage.MAX_GROUPS);
    assertThatThrownBy(
            () ->
                new FunctionImage(
                    ROOTFS, DIGEST, List.of("x"), List.of(), "/", "1", List.of(-1), 80))
        .hasMessageContaining("not negative");
  }

  @Test
  void aSpecWrittenBeforeGroupsReadsWithNone() {
    FunctionImage image =
        new FunctionImage(
            ROOTFS, DIGEST, List.of("/f"), List.of(), "/", "1000:1000", List.of(2000), 81);
    FunctionSpec spec = FunctionSpec.ofImage("web", 256, 1, image);
    assertThat(JSON.readValue(JSON.writeValueAsString(spec), FunctionSpec.class)).isEqualTo(spec);
    String old = JSON.writeValueAsString(spec).replace(",\"groups\":[2000]", "");
    assertThat(old).doesNotContain("groups");
    assertThat(JSON.readValue(old, FunctionSpec.class).image().groups()).isEmpty();
  }

  @Test
  void refusesWhatTheGuestCouldNotStart() {
    assertThatThrownBy(() -> image(List.of(), List.of(), "/", 8080))
        .hasMessageContaining("argv is empty");
    assertThatThrownBy(() -> image(List.of(""), List.of(), "/", 8080))
        .hasMessageContaining("argv[0] is empty");
    assertThatThrownBy(() -> image(List.of("a\0b"), List.of(), "/", 8080))
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> image(List.of("x"), List.of("NOEQUALS"), "/", 8080))
        .hasMessageContaining("NAME=value");
    assertThatThrownBy(() -> image(List.of("x"), List.of("=v"), "/", 8080))
        .hasMessageContaining("NAME=value");
    assertThatThrownBy(() -> image(List.of("x"), List.of("A=1\nB=2"), "/", 8080))
        .hasMessageContaining("line break");
    assertThatThrownBy(() -> image(List.of("x"), List.of("A=1", "A=2"), "/", 8080))
        .hasMessageContaining("env names A twice");
    assertThatThrownBy(() -> image(List.of("x"), List.of(), "app", 8080))
        .hasMessageContaining("workdir must be absolute");
    assertThatThrownBy(() -> image(List.of("x"), List.of(), "/", 0))
        .hasMessageContaining("1..65535");
    assertThatThrownBy(() -> image(List.of("x"), List.of(), "/", 65536))
        .hasMessageContaining("1..65535");
    assertThatThrownBy(() -> image(List.of("x"), List.of(), "/", FunctionImage.CONTROL_PORT))
        .hasMessageContaining("control port");
    assertThatThrownBy(
            () -> new FunctionImage(ROOTFS, DIGEST, List.of("x"), List.of(), "/", "nobody", 80))
        .hasMessageContaining("numeric");
    assertThatThrownBy(
            () -> new FunctionImage(ROOTFS, "sha256:abc", List.of("x"), List.of(), "/", "0", 80))
        .hasMessageContaining("digest");
    assertThatThrownBy(() -> FunctionImage.of(Path.of("rel.ext4"), DIGEST, List.of("x"), 80))
        .hasMessageContaining("absolute");
  }

  @Test
  void boundsWhatTravelsToTheGuest() {
    List<String> many = Collections.nCopies(FunctionImage.MAX_ENTRIES + 1, "x");
    assertThatThrownBy(() -> image(many, List.of(), "/", 80)).hasMessageContaining("at most");
    List<String> big = Collections.nCopies(20, "y".repeat(4000));
    assertThatThrownBy(() -> image(big, List.of(), "/", 80))
        .hasMessageContaining("the guest accepts at most " + FunctionImage.MAX_DESCRIPTION_BYTES);
    List<String> fits = Collections.nCopies(10, "y".repeat(4000));
    assertThat(image(fits, List.of(), "/", 80).guestDescription().length)
        .isLessThanOrEqualTo(FunctionImage.MAX_DESCRIPTION_BYTES);
  }

  @Test
  void aSpecFromAnImageHasTheImageHandlerAndReadsBackFromJson() {
    FunctionSpec spec =
        FunctionSpec.ofImage("web", 256, 1, FunctionImage.of(ROOTFS, DIGEST, List.of("x"), 80));
    assertThat(spec.handler()).isEqualTo(FunctionSpec.IMAGE_HANDLER);
    assertThat(spec.fromImage()).isTrue();
    assertThat(JSON.readValue(JSON.writeValueAsString(spec), FunctionSpec.class)).isEqualTo(spec);
    assertThatThrownBy(() -> new FunctionSpec("web", 256, 1, FunctionSpec.IMAGE_HANDLER, 0))
        .hasMessageContaining("needs an image");
    assertThatThrownBy(() -> new FunctionSpec("web", 256, 1, "hello", 0, spec.image()))
        .hasMessageContaining("has handler image");
  }

  @Test
  void anotherNodeNamesItsOwnCopyOfTheImage() {
    FunctionSpec spec =
        FunctionSpec.ofImage("web", 256, 1, FunctionImage.of(ROOTFS, DIGEST, List.of("x"), 80));
    FunctionSpec there = spec.withRootfs(Path.of("/elsewhere/a.ext4"));
    assertThat(there.image().rootfs()).isEqualTo(Path.of("/elsewhere/a.ext4"));
    assertThat(there.withRootfs(ROOTFS)).isEqualTo(spec);
    assertThatThrownBy(() -> BuiltinFunctions.HELLO.withRootfs(ROOTFS))
        .hasMessageContaining("built-in");
  }

  @Test
  void aBuiltInSpecWritesNoImageAndReadsAsBefore() {
    String json = JSON.writeValueAsString(BuiltinFunctions.HELLO);
    assertThat(json).doesNotContain("image");
    assertThat(
            JSON.readValue(
                "{\"id\":\"hello\",\"memoryMib\":256,\"vcpus\":1,\"handler\":\"hello\","
                    + "\"initMib\":0}",
                FunctionSpec.class))
        .isEqualTo(BuiltinFunctions.HELLO);
  }
}
