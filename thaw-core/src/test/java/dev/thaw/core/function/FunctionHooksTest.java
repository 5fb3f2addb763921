package dev.thaw.core.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class FunctionHooksTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final FunctionImage IMAGE =
      new FunctionImage(
          Path.of("/images/a.img"),
          "sha256:" + "ab".repeat(32),
          List.of("/f"),
          List.of(),
          "/",
          "0",
          8080);

  @Test
  void takesPathsOnTheFunctionsPortOnly() {
    assertThat(new FunctionHooks("/snap", "/restore?token=new&x=%20").afterRestore())
        .isEqualTo("/restore?token=new&x=%20");
    for (String bad :
        List.of(
            "",
            "restore",
            "http://evil/x",
            "/a b",
            "/a\r\nHost: x",
            "/x#frag",
            "/" + "a".repeat(1024))) {
      assertThatThrownBy(() -> new FunctionHooks(null, bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("afterRestore");
    }
  }

  @Test
  void aDeploymentsHooksComeBeforeTheImageLabels() {
    FunctionHooks labels =
        FunctionHooks.fromLabels(
            Map.of(
                FunctionHooks.BEFORE_SNAPSHOT_LABEL,
                "/label-before",
                FunctionHooks.AFTER_RESTORE_LABEL,
                "/label-after",
                "org.opencontainers.image.title",
                "x"));
    assertThat(new FunctionHooks(null, "/mine").orElse(labels))
        .isEqualTo(new FunctionHooks("/label-before", "/mine"));
    assertThat(FunctionHooks.NONE.orElse(FunctionHooks.NONE).isNone()).isTrue();
    assertThat(FunctionHooks.fromLabels(Map.of())).isEqualTo(FunctionHooks.NONE);
    assertThatThrownBy(
            () -> FunctionHooks.fromLabels(Map.of(FunctionHooks.AFTER_RESTORE_LABEL, "renew")))
        .hasMessageContaining("the image's hook labels");
  }

  @Test
  void anImageWithoutHooksWritesAndReadsAsBefore() {
    String json = JSON.writeValueAsString(IMAGE);
    assertThat(json).doesNotContain("hooks");
    assertThat(JSON.readValue(json, FunctionImage.class)).isEqualTo(IMAGE);
    assertThat(JSON.readValue(json, FunctionImage.class).hooks()).isEqualTo(FunctionHooks.NONE);

    FunctionImage hooked = IMAGE.withHooks(new FunctionHooks(null, "/renew"));
    String written = JSON.writeValueAsString(hooked);
    assertThat(written).contains("\"hooks\":{\"afterRestore\":\"/renew\"}");
    assertThat(JSON.readValue(written, FunctionImage.class)).isEqualTo(hooked);
    // Hooks stay with the image wherever it moves; they are not part of what the guest reads.
    assertThat(hooked.withRootfs(Path.of("/b.img")).hooks()).isEqualTo(hooked.hooks());
    assertThat(hooked.withDefaultEnv(List.of("A=1")).hooks()).isEqualTo(hooked.hooks());
    assertThat(hooked.guestDescription()).isEqualTo(IMAGE.guestDescription());
  }
}
