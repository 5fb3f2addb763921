package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Command lists show only the first line of each description: it must be a whole sentence. */
class HelpTextTest {
  @Test
  void everyCommandsFirstDescriptionLineIsAWholeSentence() {
    List<String> cut = new ArrayList<>();
    collect(new CommandLine(new Thaw()), cut);
    assertThat(cut).as("descriptions cut mid-sentence in command lists").isEmpty();
  }

  private static void collect(CommandLine c, List<String> cut) {
    for (CommandLine sub : c.getSubcommands().values()) {
      String[] description = sub.getCommandSpec().usageMessage().description();
      String first = description.length == 0 ? "" : description[0].strip();
      if (!first.endsWith(".")) {
        cut.add(sub.getCommandSpec().qualifiedName() + ": " + first);
      }
      collect(sub, cut);
    }
  }
}
