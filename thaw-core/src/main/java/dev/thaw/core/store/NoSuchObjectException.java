package dev.thaw.core.store;

import java.io.IOException;

/** A read of an object that does not exist, where absence is not an ordinary answer. */
public class NoSuchObjectException extends IOException {
  private static final long serialVersionUID = 1L;

  public NoSuchObjectException(String message) {
    super(message);
  }
}
