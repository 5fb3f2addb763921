package dev.thaw.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.store.ObjectStore.ObjectInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link ObjectStore} does, run against each implementation: the in-memory store the
 * protocol's unit tests use must behave like the real one.
 */
public abstract class ObjectStoreContract {
  @TempDir protected Path tmp;

  /** The store under test, empty. */
  protected abstract ObjectStore store();

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void storesReplacesAndDeletesWholeObjects() throws Exception {
    ObjectStore s = store();
    assertThat(s.get("a/b")).isEmpty();
    assertThat(s.head("a/b")).isEmpty();
    s.put("a/b", utf8("first"));
    s.put("a/b", utf8("second!"));
    assertThat(s.get("a/b")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("second!")));
    ObjectInfo info = s.head("a/b").orElseThrow();
    assertThat(info.key()).isEqualTo("a/b");
    assertThat(info.size()).isEqualTo(7);
    assertThat(info.lastModified()).isNotNull();
    s.delete("a/b");
    s.delete("a/b"); // absent: not an error
    assertThat(s.get("a/b")).isEmpty();
  }

  @Test
  void storesFilesAndReadsRanges() throws Exception {
    ObjectStore s = store();
    byte[] content = new byte[300_000];
    new Random(1).nextBytes(content);
    Path file = Files.write(tmp.resolve("file"), content);
    s.put("big", file);
    assertThat(s.getRange("big", 1000, 5000))
        .isEqualTo(java.util.Arrays.copyOfRange(content, 1000, 6000));
    assertThat(s.getRange("big", content.length - 1, 1))
        .containsExactly(content[content.length - 1]);
    assertThatThrownBy(() -> s.getRange("absent", 0, 10))
        .isInstanceOf(NoSuchObjectException.class)
        .hasMessageContaining("absent")
        .hasMessageContaining(s.describe());
    assertThatThrownBy(() -> s.getRange("big", content.length - 10, 20))
        .isInstanceOf(IOException.class);
  }

  @Test
  void listsByPrefixAndFoldersOneLevelDown() throws Exception {
    ObjectStore s = store();
    for (String key : List.of("r1/manifest.json", "r1/_pack", "r2/x", "_chunks/ab/abc", "top")) {
      s.put(key, utf8(key));
    }
    assertThat(s.list("r1/"))
        .extracting(ObjectInfo::key)
        .containsExactly("r1/_pack", "r1/manifest.json");
    assertThat(s.list("r1/")).extracting(ObjectInfo::size).containsExactly(8L, 16L);
    assertThat(s.list("_chunks/")).extracting(ObjectInfo::key).containsExactly("_chunks/ab/abc");
    assertThat(s.list("nothing/")).isEmpty();
    assertThat(s.listFolders("")).containsExactly("_chunks", "r1", "r2");
    assertThat(s.listFolders("_chunks/")).containsExactly("ab");
  }

  @Test
  void deletesInBatches() throws Exception {
    ObjectStore s = store();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      keys.add("k/" + i);
    }
    for (String k : keys.subList(0, 1200)) {
      s.put(k, new byte[] {1});
    }
    s.put("keep", new byte[] {2});
    s.delete(keys); // 300 of them absent: not an error
    assertThat(s.list("")).extracting(ObjectInfo::key).containsExactly("keep");
  }
}
