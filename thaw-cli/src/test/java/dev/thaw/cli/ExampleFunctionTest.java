package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The project's example functions as {@code thaw deploy --example} and the benches name them. */
class ExampleFunctionTest {
  @Test
  void examplesAreNamedAsOnTheCommandLineWithTheMemoryTheirRuntimeNeeds() {
    assertThat(ExampleFunction.names()).isEqualTo("python, node or java");
    assertThat(ExampleFunction.byId("java")).contains(ExampleFunction.JAVA);
    assertThat(ExampleFunction.byId("Java")).isEmpty();
    assertThat(ExampleFunction.JAVA.memoryMib()).isEqualTo(512);
    assertThat(ExampleFunction.NODE.memoryMib()).isEqualTo(384);
    assertThat(ExampleFunction.PYTHON.memoryMib()).as("the function default").isNull();
  }

  @Test
  void deployRefusesAnExampleItDoesNotKnowAndSaysWhichItKnows() {
    CommandLine cli = Thaw.commandLine();
    CommandLine.ParseResult parsed = cli.parseArgs("deploy", "fn", "--example", "ruby");
    DeployCommand deploy = (DeployCommand) parsed.subcommand().commandSpec().userObject();
    assertThatThrownBy(deploy::deployment)
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessage("--example knows python, node or java, not 'ruby'");
  }
}
