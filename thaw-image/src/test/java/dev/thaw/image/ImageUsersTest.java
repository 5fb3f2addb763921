package dev.thaw.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageUsersTest {
  private static final String PASSWD =
      """
      root:x:0:0:root:/root:/bin/sh
      daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
      app:x:1000:1000:the app:/home/app:/bin/sh
      app:x:1111:1111:a second app entry:/nowhere:/bin/sh
      nohome:x:1001:1001::
      short:x:1002
      """;

  private static final String GROUP =
      """
      root:x:0:root
      daemon:x:1:root,daemon
      app:x:1000:
      audio:x:2000:root, app
      video:x:3000:app
      staff:x:50:daemon
      """;

  private static ResolvedUser resolved(String spec) {
    return resolved(spec, PASSWD, GROUP);
  }

  private static ResolvedUser resolved(String spec, String passwd, String group) {
    ImageUsers.Result r = ImageUsers.resolve(spec, passwd, group);
    assertThat(r).isInstanceOf(ImageUsers.Resolved.class);
    return ((ImageUsers.Resolved) r).user();
  }

  private static String refusal(String spec) {
    ImageUsers.Result r = ImageUsers.resolve(spec, PASSWD, GROUP);
    assertThat(r).isInstanceOf(ImageUsers.Refusal.class);
    return ((ImageUsers.Refusal) r).message();
  }

  @Test
  void aNameTakesUidGidAndHomeFromItsFirstEntryAndTheGroupsListingIt() {
    assertThat(resolved("app"))
        .isEqualTo(new ResolvedUser(1000, 1000, List.of(2000, 3000), "/home/app"));
  }

  @Test
  void aUidWithAnEntryIsThatEntrysUser() {
    assertThat(resolved("1000"))
        .isEqualTo(new ResolvedUser(1000, 1000, List.of(2000, 3000), "/home/app"));
    // groups list names, so a second entry of the same name shares its groups
    assertThat(resolved("1111"))
        .isEqualTo(new ResolvedUser(1111, 1111, List.of(2000, 3000), "/nowhere"));
  }

  @Test
  void aUidWithoutAnEntryRunsWithGroupZeroAndHomeSlash() {
    assertThat(resolved("4242")).isEqualTo(new ResolvedUser(4242, 0, List.of(), "/"));
    assertThat(resolved("4242", "", "")).isEqualTo(new ResolvedUser(4242, 0, List.of(), "/"));
  }

  @Test
  void anEmptyUserIsRootWithRootsEntryAndGroups() {
    assertThat(resolved("")).isEqualTo(new ResolvedUser(0, 0, List.of(0, 1, 2000), "/root"));
    assertThat(resolved("", "", "")).isEqualTo(new ResolvedUser(0, 0, List.of(), "/"));
  }

  @Test
  void anExplicitGroupReplacesThePrimaryGidAndDropsTheSupplementaryGroups() {
    assertThat(resolved("app:audio"))
        .isEqualTo(new ResolvedUser(1000, 2000, List.of(), "/home/app"));
    assertThat(resolved("app:3000"))
        .isEqualTo(new ResolvedUser(1000, 3000, List.of(), "/home/app"));
    assertThat(resolved("1000:video"))
        .isEqualTo(new ResolvedUser(1000, 3000, List.of(), "/home/app"));
    assertThat(resolved("4242:video")).isEqualTo(new ResolvedUser(4242, 3000, List.of(), "/"));
  }

  @Test
  void aNumericGroupWithoutAnEntryIsTakenAsItIs() {
    assertThat(resolved("4242:4343")).isEqualTo(new ResolvedUser(4242, 4343, List.of(), "/"));
    assertThat(resolved("app:77")).isEqualTo(new ResolvedUser(1000, 77, List.of(), "/home/app"));
  }

  @Test
  void aMissingNameIsRefusedNamingIt() {
    assertThat(refusal("nobody-here")).contains("'nobody-here'").contains("/etc/passwd");
    assertThat(refusal("nobody-here:app")).contains("'nobody-here'");
    assertThat(ImageUsers.resolve("app", "", "")).isInstanceOf(ImageUsers.Refusal.class);
  }

  @Test
  void aMissingGroupNameIsRefusedNamingIt() {
    assertThat(refusal("app:wheel")).contains("'wheel'").contains("/etc/group");
    assertThat(refusal("4242:wheel")).contains("'wheel'");
  }

  @Test
  void idsOverTheLargestAreRefused() {
    assertThat(refusal("2147483648")).contains("2147483648");
    assertThat(refusal("app:99999999999")).contains("99999999999");
    assertThat(resolved("2147483647").uid()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void anEntryWithoutHomeGetsSlash() {
    assertThat(resolved("nohome")).isEqualTo(new ResolvedUser(1001, 1001, List.of(), "/"));
  }

  @Test
  void malformedLinesAreSkippedNotReadAsRoot() {
    String passwd =
        """
        # a comment:x:5:5::/c:
        bad:x:notanumber:0::/bad:/bin/sh
        short:x:7

           app:x:1000:1000::/home/app:/bin/sh
        """;
    String group =
        """
        broken:x:zz:app
        :x:
        audio:x:2000:app
        """;
    assertThat(ImageUsers.resolve("bad", passwd, group)).isInstanceOf(ImageUsers.Refusal.class);
    assertThat(ImageUsers.resolve("short", passwd, group)).isInstanceOf(ImageUsers.Refusal.class);
    assertThat(resolved("app", passwd, group))
        .isEqualTo(new ResolvedUser(1000, 1000, List.of(2000), "/home/app"));
    assertThat(refusal("app:broken")).contains("'broken'");
  }

  @Test
  void membershipIsByNameNotByPrimaryGroup() {
    // app's primary group 1000 lists nobody: it is not repeated among the supplementary ones
    assertThat(resolved("app").groups()).doesNotContain(1000);
    // daemon is listed by staff and daemon
    assertThat(resolved("daemon").groups()).containsExactly(1, 50);
    // a uid without an entry has no name to be listed by
    assertThat(resolved("4242").groups()).isEmpty();
  }

  @Test
  void windowsLineEndsAreTolerated() {
    assertThat(resolved("app", "app:x:1000:1000::/home/app:/bin/sh\r\n", "audio:x:2000:app\r\n"))
        .isEqualTo(new ResolvedUser(1000, 1000, List.of(2000), "/home/app"));
  }
}
