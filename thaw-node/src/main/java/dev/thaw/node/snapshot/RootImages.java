package dev.thaw.node.snapshot;

import dev.thaw.core.function.FunctionSpec;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * This node's copies of the root images of functions from images, as its restores and boots use
 * them. A function from a snapshot names the root image file of the node that made it; a restore
 * runs this node's copy of the same image, which may be served while it still fills from remote
 * storage ({@link Filling}); a boot gets the whole image first.
 */
public interface RootImages {

  /** A root image served while its chunks arrive, as a lazy restore steers and counts it. */
  interface Filling {
    /** Asks for the chunks at {@code indexes} (the snapshot's first clone read them) first. */
    void readFirst(List<Integer> indexes);

    /** Lets the rest of the image follow (the guest has answered). */
    void fetchRest();

    /** Bytes of the image received from storage so far. */
    long fetchedBytes();

    /** Why the fill failed, once it has: a restore on it does not go on. */
    Optional<IOException> failure();
  }

  /**
   * {@code function} as this node restores it: its root image this node's copy, possibly one still
   * filling. Returns it unchanged when it is no function from an image or no copy can be had.
   */
  FunctionSpec forRestore(FunctionSpec function);

  /** {@code function} as this node boots it: its root image here whole. */
  FunctionSpec forBoot(FunctionSpec function);

  /** The fill of the root image {@code function} names, if it is one still filling. */
  Optional<Filling> filling(FunctionSpec function);

  /** Root images taken as {@code local} says, boots and restores alike; none ever filling. */
  static RootImages of(UnaryOperator<FunctionSpec> local) {
    return new RootImages() {
      @Override
      public FunctionSpec forRestore(FunctionSpec function) {
        return local.apply(function);
      }

      @Override
      public FunctionSpec forBoot(FunctionSpec function) {
        return function;
      }

      @Override
      public Optional<Filling> filling(FunctionSpec function) {
        return Optional.empty();
      }
    };
  }
}
