package dev.thaw.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Resolves an image config's {@code User} against the image's own {@code /etc/passwd} and {@code
 * /etc/group} (never the host's) by the rules of runc's {@code GetExecUser}, which Docker and
 * containerd share:
 *
 * <ul>
 *   <li>The forms are {@code user} and {@code user:group}, each part a name or a number. A number
 *       is always an id; a name must have an entry (a user in passwd, a group in group).
 *   <li>The user's first passwd entry gives uid, primary gid and home. A uid without an entry runs
 *       with gid 0 and home {@code /}; an empty {@code User} means uid 0 (root's entry, if any).
 *   <li>An explicit group replaces the primary gid: its first entry by name or id, or the number
 *       itself when no entry has it. Only without one (and when the user has a passwd entry) are
 *       there supplementary groups: every group whose member list names the user, in file order.
 *   <li>Blank lines, {@code #} comments and lines whose ids are not numbers are skipped (runc would
 *       read a bad id as 0, root; skipping cannot make anyone root by mistake). Ids run up to
 *       2^31-1.
 * </ul>
 *
 * <p>Pure: it is given the two files' text (empty when the image lacks a file).
 */
public final class ImageUsers {
  /** Largest id runc accepts. */
  public static final int MAX_ID = Integer.MAX_VALUE;

  private static final Pattern NUMBER = Pattern.compile("\\d+");

  private ImageUsers() {}

  /** What {@link #resolve} decided: a {@link ResolvedUser} or a {@link Refusal}. */
  public sealed interface Result permits Resolved, Refusal {}

  /** {@code User} resolved. */
  public record Resolved(ResolvedUser user) implements Result {}

  /** {@code User} names a user or group the image lacks, or an id out of range. */
  public record Refusal(String message) implements Result {}

  /**
   * {@code userSpec} (the config's {@code User}) as the image's files resolve it.
   *
   * @param passwdText the image's {@code /etc/passwd}, "" when it has none
   * @param groupText the image's {@code /etc/group}, "" when it has none
   */
  public static Result resolve(String userSpec, String passwdText, String groupText) {
    int colon = userSpec.indexOf(':');
    String userArg = colon < 0 ? userSpec : userSpec.substring(0, colon);
    String groupArg = colon < 0 ? "" : userSpec.substring(colon + 1);
    Optional<Integer> uidArg = id(userArg);
    Optional<Integer> gidArg = id(groupArg);
    if (NUMBER.matcher(userArg).matches() && uidArg.isEmpty()) {
      return new Refusal("the image's user " + userArg + " is over the largest id, " + MAX_ID);
    }
    if (NUMBER.matcher(groupArg).matches() && gidArg.isEmpty()) {
      return new Refusal("the image's group " + groupArg + " is over the largest id, " + MAX_ID);
    }

    Optional<PasswdEntry> entry =
        passwd(passwdText).stream()
            .filter(
                p ->
                    userArg.isEmpty()
                        ? p.uid() == 0
                        : uidArg.map(u -> p.uid() == u).orElse(p.name().equals(userArg)))
            .findFirst();
    int uid;
    int gid = 0;
    String home = "/";
    if (entry.isPresent()) {
      uid = entry.get().uid();
      gid = entry.get().gid();
      home = entry.get().home();
    } else if (uidArg.isPresent()) {
      uid = uidArg.get();
    } else if (userArg.isEmpty()) {
      uid = 0;
    } else {
      return new Refusal(
          "the image runs as user '" + userArg + "', which its /etc/passwd does not name");
    }

    List<GroupEntry> groups = group(groupText);
    List<Integer> supplementary = new ArrayList<>();
    if (!groupArg.isEmpty()) {
      Optional<GroupEntry> named =
          groups.stream()
              .filter(g -> gidArg.map(n -> g.gid() == n).orElse(g.name().equals(groupArg)))
              .findFirst();
      if (named.isPresent()) {
        gid = named.get().gid();
      } else if (gidArg.isPresent()) {
        gid = gidArg.get();
      } else {
        return new Refusal(
            "the image runs as group '" + groupArg + "', which its /etc/group does not name");
      }
    } else if (entry.isPresent()) {
      String name = entry.get().name();
      groups.stream()
          .filter(g -> g.members().contains(name))
          .forEach(g -> supplementary.add(g.gid()));
    }
    return new Resolved(new ResolvedUser(uid, gid, supplementary, home));
  }

  private record PasswdEntry(String name, int uid, int gid, String home) {}

  private record GroupEntry(String name, int gid, List<String> members) {}

  /** name:password:uid:gid:gecos:home:shell */
  private static List<PasswdEntry> passwd(String text) {
    List<PasswdEntry> out = new ArrayList<>();
    for (String[] f : lines(text)) {
      Optional<Integer> uid = f.length > 2 ? id(f[2]) : Optional.empty();
      Optional<Integer> gid = f.length > 3 ? id(f[3]) : Optional.empty();
      if (uid.isPresent() && gid.isPresent()) {
        out.add(new PasswdEntry(f[0], uid.get(), gid.get(), f.length > 5 ? f[5] : ""));
      }
    }
    return out;
  }

  /** name:password:gid:member,member */
  private static List<GroupEntry> group(String text) {
    List<GroupEntry> out = new ArrayList<>();
    for (String[] f : lines(text)) {
      Optional<Integer> gid = f.length > 2 ? id(f[2]) : Optional.empty();
      if (gid.isPresent()) {
        List<String> members = new ArrayList<>();
        if (f.length > 3) {
          for (String m : f[3].split(",")) {
            if (!m.isBlank()) {
              members.add(m.strip());
            }
          }
        }
        out.add(new GroupEntry(f[0], gid.get(), members));
      }
    }
    return out;
  }

  private static List<String[]> lines(String text) {
    List<String[]> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        out.add(l.split(":", -1));
      }
    }
    return out;
  }

  /** A decimal id within 0..{@link #MAX_ID}, or empty. */
  private static Optional<Integer> id(String s) {
    if (!NUMBER.matcher(s).matches() || s.length() > 10) {
      return Optional.empty();
    }
    long v = Long.parseLong(s);
    return v <= MAX_ID ? Optional.of((int) v) : Optional.empty();
  }
}
