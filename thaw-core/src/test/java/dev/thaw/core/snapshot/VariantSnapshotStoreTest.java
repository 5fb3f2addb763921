package dev.thaw.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VariantSnapshotStoreTest {
  @Test
  void aStoredNameIsARevisionsInAnyVariantAndNoOtherRevisions() {
    assertThat(VariantSnapshotStore.isOf("hello@9f62a389960f", "hello")).isTrue();
    assertThat(VariantSnapshotStore.isOf("hello", "hello")).isTrue();
    assertThat(VariantSnapshotStore.isOf("hello-small@9f62a389960f", "hello")).isFalse();
    assertThat(VariantSnapshotStore.isOf("hell", "hello")).isFalse();
    assertThat(VariantSnapshotStore.isOf("hello@", "hello-small")).isFalse();
  }
}
