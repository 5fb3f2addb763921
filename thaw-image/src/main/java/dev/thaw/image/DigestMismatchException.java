package dev.thaw.image;

/** A blob or manifest whose bytes do not match the digest (or size) that names it. */
public class DigestMismatchException extends ImageException {
  private final String expected;
  private final String actual;

  public DigestMismatchException(String what, String expected, String actual) {
    super(what + ": content has digest " + actual + ", expected " + expected);
    this.expected = expected;
    this.actual = actual;
  }

  public DigestMismatchException(String what, String expected, long expectedSize, long size) {
    super(
        what
            + " ("
            + expected
            + "): "
            + (size > expectedSize ? "more than" : "only")
            + " "
            + (size > expectedSize ? expectedSize : size)
            + " bytes arrived, its descriptor says "
            + expectedSize);
    this.expected = expected;
    this.actual = "";
  }

  /** The digest that named the content. */
  public String expected() {
    return expected;
  }

  /** The digest of what arrived ("" when it was refused on its size). */
  public String actual() {
    return actual;
  }
}
