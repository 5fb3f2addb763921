package dev.thaw.core.function;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Which request headers travel from a caller to a function: {@code Content-Type}, {@code Accept},
 * {@code Accept-Language}, {@code Authorization}, {@code Cookie}, and custom {@code X-…} headers —
 * except Thaw's own {@code X-Thaw-…} and the proxies' {@code X-Forwarded-…}. Hop-by-hop headers
 * ({@code Connection}, {@code Transfer-Encoding}, …), framing ({@code Content-Length}, {@code
 * Host}) and encodings the answer would not be decoded from ({@code Accept-Encoding}) never do: the
 * client that calls the function sets those itself.
 */
public final class FunctionHeaders {
  /** Longest value passed on; longer ones are left out. */
  public static final int MAX_VALUE_LENGTH = 4096;

  private static final Set<String> STANDARD =
      Set.of("content-type", "accept", "accept-language", "authorization", "cookie");

  private FunctionHeaders() {}

  /** Whether a header named {@code name} travels to the function. */
  public static boolean forwarded(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (STANDARD.contains(n)) {
      return true;
    }
    return n.startsWith("x-")
        && !n.startsWith("x-thaw-")
        && !n.startsWith("x-forwarded-")
        && n.length() <= 64
        && n.chars().allMatch(c -> c == '-' || Character.isLetterOrDigit(c) && c < 0x80);
  }

  /**
   * The headers of {@code all} (each name once, its first value) that travel to the function:
   * {@code all.accept(sink)} calls the sink once per header line.
   */
  public static Map<String, String> select(
      java.util.function.Consumer<BiConsumer<String, String>> all) {
    Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    all.accept(
        (name, value) -> {
          if (value != null
              && forwarded(name)
              && value.length() <= MAX_VALUE_LENGTH
              && value.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
            out.putIfAbsent(name, value);
          }
        });
    return out;
  }
}
