package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CsvFieldTest {
  @Test
  void fieldsWithCommasQuotesOrLineBreaksAreQuoted() {
    assertThat(CsvField.of("remote, no cache")).isEqualTo("\"remote, no cache\"");
    assertThat(CsvField.of("said \"no\"")).isEqualTo("\"said \"\"no\"\"\"");
    assertThat(CsvField.of("two\nlines")).isEqualTo("\"two\nlines\"");
    assertThat(CsvField.of("local snapshots")).isEqualTo("local snapshots");
  }
}
