package dev.thaw.node.snapshot.restore;

import dev.thaw.core.lazy.ServedFile;
import dev.thaw.node.snapshot.fill.LazyFill;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A served file whose content is not known yet: the VMM of a remote restore opens and maps it
 * before the manifest has arrived, and reads (which come only once the state is loaded) wait until
 * {@link #attach} names the file that fills it, or fail after {@link #abort}.
 */
final class DeferredFile implements ServedFile {
  private final long size;
  private final CompletableFuture<ServedFile> target = new CompletableFuture<>();

  DeferredFile(long size) {
    this.size = size;
  }

  void attach(ServedFile file) {
    if (file.size() != size) {
      throw new IllegalArgumentException("file of " + file.size() + " bytes, expected " + size);
    }
    target.complete(file);
  }

  void abort() {
    target.completeExceptionally(new IOException("the restore this file was for was abandoned"));
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int read(long offset, ByteBuffer into) throws IOException {
    try {
      return target.get(LazyFill.READ_WAIT.toMillis(), TimeUnit.MILLISECONDS).read(offset, into);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("no content within " + LazyFill.READ_WAIT.toSeconds() + " s");
    }
  }
}
