package dev.thaw.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.http.BearerToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerTokensTest {
  private static final BearerToken A = BearerToken.generate();
  private static final BearerToken B = BearerToken.generate();

  @TempDir Path dir;

  @Test
  void oneOrTwoTokensAreAcceptedAndNoOther() {
    PeerTokens one = PeerTokens.parse(A.value() + "\n");
    assertThat(one.judge(Optional.of(A.authorization()))).isEqualTo(BearerToken.Verdict.ACCEPTED);
    assertThat(one.judge(Optional.of(B.authorization()))).isEqualTo(BearerToken.Verdict.WRONG);
    assertThat(one.judge(Optional.empty())).isEqualTo(BearerToken.Verdict.MISSING);

    PeerTokens two = PeerTokens.parse("\n" + B.value() + "\n\n" + A.value());
    assertThat(two.size()).isEqualTo(2);
    assertThat(two.current().value()).isEqualTo(B.value());
    assertThat(two.judge(Optional.of(A.authorization()))).isEqualTo(BearerToken.Verdict.ACCEPTED);
    assertThat(two.judge(Optional.of(B.authorization()))).isEqualTo(BearerToken.Verdict.ACCEPTED);
    assertThat(two.judge(Optional.of("Bearer " + "x".repeat(64))))
        .isEqualTo(BearerToken.Verdict.WRONG);
    assertThat(two.toString()).doesNotContain(A.value()).doesNotContain(B.value());
  }

  @Test
  void aFileWithNoTokenTooManyOrABadLineIsRefusedWithoutQuotingIt() {
    assertThatThrownBy(() -> PeerTokens.parse("\n \n")).hasMessageContaining("holds 0");
    assertThatThrownBy(() -> PeerTokens.parse(A.value() + "\n" + B.value() + "\n" + A.value()))
        .hasMessageContaining("holds 3");
    assertThatThrownBy(() -> PeerTokens.parse(A.value() + "\nsecret-but-short"))
        .hasMessageContaining("line 2")
        .hasMessageNotContaining("secret-but-short");
  }

  @Test
  void aMissingFileIsMadeOwnerOnlyAndThenKept() throws IOException {
    Path file = dir.resolve("data/peer-token");
    PeerTokens made = PeerTokens.readOrCreate(file);

    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(file)).isEqualTo(made.current().value() + "\n");
    assertThat(PeerTokens.readOrCreate(file).current().value()).isEqualTo(made.current().value());
    try (var left = Files.list(file.getParent())) {
      assertThat(left).containsExactly(file);
    }
  }
}
