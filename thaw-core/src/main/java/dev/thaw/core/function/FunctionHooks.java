package dev.thaw.core.function;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a function from an image is asked around its snapshot, as Kubernetes' {@code httpGet}
 * lifecycle hooks and Lambda SnapStart's runtime hooks ask it: an HTTP {@code GET} of a path on the
 * function's own port, sent by the node. A hook passes when it answers 2xx within its timeout.
 *
 * <ul>
 *   <li>{@code beforeSnapshot} is asked once, on the booted instance, before it is paused for its
 *       snapshot (after its first invocation). A failure means no snapshot this time: the instance
 *       is stopped and nothing is committed.
 *   <li>{@code afterRestore} is asked on every clone, after the guest has reseeded its kernel RNG
 *       and stepped its clock and before the clone takes its first request: the place to renew what
 *       user space made before the snapshot (random tokens, connections, cached times). A failure
 *       fails that restore: the clone is stopped and the cold start boots instead.
 * </ul>
 *
 * <p>A deployment names them ({@code --before-snapshot}, {@code --after-restore}), else the image's
 * labels {@value #BEFORE_SNAPSHOT_LABEL} and {@value #AFTER_RESTORE_LABEL} do.
 *
 * @param beforeSnapshot the path (and query) asked before the snapshot; null for none
 * @param afterRestore the path (and query) asked on every clone; null for none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FunctionHooks(String beforeSnapshot, String afterRestore) {
  /** No hooks. */
  public static final FunctionHooks NONE = new FunctionHooks(null, null);

  /** The image label naming the {@code beforeSnapshot} path. */
  public static final String BEFORE_SNAPSHOT_LABEL = "dev.thaw.hooks.before-snapshot";

  /** The image label naming the {@code afterRestore} path. */
  public static final String AFTER_RESTORE_LABEL = "dev.thaw.hooks.after-restore";

  /** How long {@code beforeSnapshot} may take to answer. */
  public static final Duration BEFORE_SNAPSHOT_TIMEOUT = Duration.ofSeconds(10);

  /** How long {@code afterRestore} may take to answer (Lambda gives its restore hooks 10 s too). */
  public static final Duration AFTER_RESTORE_TIMEOUT = Duration.ofSeconds(10);

  /** Longest path a hook may name. */
  public static final int MAX_PATH = 1024;

  // An origin-form request target: no spaces, controls or fragments (RFC 9112, 3.2.1).
  private static final Pattern PATH = Pattern.compile("/[!$&'()*+,;=:@/?%A-Za-z0-9._~-]*");

  public FunctionHooks {
    check("beforeSnapshot", beforeSnapshot);
    check("afterRestore", afterRestore);
  }

  /** The hooks {@code labels} (an image config's) name; {@link #NONE} without any. */
  public static FunctionHooks fromLabels(Map<String, String> labels) {
    String before = labels.get(BEFORE_SNAPSHOT_LABEL);
    String after = labels.get(AFTER_RESTORE_LABEL);
    try {
      return new FunctionHooks(before, after);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the image's hook labels: " + e.getMessage(), e);
    }
  }

  /** These hooks, each one that is absent taken from {@code defaults}. */
  public FunctionHooks orElse(FunctionHooks defaults) {
    return new FunctionHooks(
        beforeSnapshot != null ? beforeSnapshot : defaults.beforeSnapshot,
        afterRestore != null ? afterRestore : defaults.afterRestore);
  }

  /** The {@code beforeSnapshot} path, if any. */
  public Optional<String> beforeSnapshotPath() {
    return Optional.ofNullable(beforeSnapshot);
  }

  /** The {@code afterRestore} path, if any. */
  public Optional<String> afterRestorePath() {
    return Optional.ofNullable(afterRestore);
  }

  /** Whether there is no hook. */
  @JsonIgnore
  public boolean isNone() {
    return beforeSnapshot == null && afterRestore == null;
  }

  private static void check(String name, String path) {
    if (path == null) {
      return;
    }
    if (path.length() > MAX_PATH || !PATH.matcher(path).matches()) {
      throw new IllegalArgumentException(
          name
              + " must be a path on the function's port, starting with / (at most "
              + MAX_PATH
              + " characters, no spaces): '"
              + path
              + "'");
    }
  }

  /**
   * Tells Jackson to leave {@link #NONE} out of a {@link FunctionImage}: specs and manifests of
   * functions without hooks read and write as before hooks existed. ({@code equals} answers whether
   * a value is to be left out, as {@link JsonInclude.Include#CUSTOM} asks.)
   */
  static final class NoneFilter {
    @Override
    public boolean equals(Object value) {
      return value == null || (value instanceof FunctionHooks h && h.isNone());
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }
}
