package dev.thaw.image;

import java.util.List;
import java.util.Objects;

/**
 * Whom an image's program runs as, its config's {@code User} looked up in the image's own {@code
 * /etc/passwd} and {@code /etc/group} ({@link ImageUsers}).
 *
 * @param uid the user id
 * @param gid the primary group id
 * @param groups the supplementary group ids, in the order of {@code /etc/group} (may be empty)
 * @param home the user's home directory, {@code /} when passwd names none
 */
public record ResolvedUser(int uid, int gid, List<Integer> groups, String home) {
  public ResolvedUser {
    groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
    Objects.requireNonNull(home, "home");
    if (uid < 0 || gid < 0 || groups.stream().anyMatch(g -> g < 0)) {
      throw new IllegalArgumentException("ids are not negative: " + uid + ":" + gid + " " + groups);
    }
    if (home.isEmpty()) {
      home = "/";
    }
  }

  /** {@code uid:gid}, as the guest's description carries it. */
  public String uidGid() {
    return uid + ":" + gid;
  }
}
