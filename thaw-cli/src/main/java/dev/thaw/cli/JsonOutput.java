package dev.thaw.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/** The benchmarks' {@code --json} option: a run's figures also written as a JSON document. */
final class JsonOutput {
  @Option(names = "--json", description = "Also write the figures as JSON to this file.")
  Path file;

  /**
   * When {@code --json} was given, lets {@code fill} put the figures into a document, writes it
   * (pretty-printed) and says where.
   */
  void write(Consumer<Map<String, Object>> fill, PrintStream out) {
    if (file == null) {
      return;
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    // The figures depend on how many cores the run shared (thaw simulate models that).
    doc.put("cores", Runtime.getRuntime().availableProcessors());
    fill.accept(doc);
    JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), doc);
    out.println("wrote " + file);
  }
}
