package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.thaw.image.ExampleImages;
import dev.thaw.qemu.GuestImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The console of a real {@code thaw serve} in a real headless Chromium: log in through the form,
 * deploy the project's Python image through the form, invoke it through the form, and see on the
 * page a boot, then a warm call, then (past the keep-alive) a local restore in the timeline, the
 * snapshot in the node's cache panel and the function's output in the log tail. Without a
 * credential the console and its data answer 401; a function's answer that is HTML with script is
 * shown as text and never runs. Leaves a screenshot in {@code target/console.png}.
 */
class ConsoleIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration COLD = Duration.ofMinutes(3);

  /** How long the page may take to show what the gateway already knows (it polls every 1.5 s). */
  private static final Duration WAIT = Duration.ofMinutes(1);

  private static final String HOSTILE =
      "<script>document.title='pwned'</script>"
          + "<img src=x onerror=\"window.pwned=1;document.title='pwned'\">";

  @TempDir Path dir;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aBootAWarmCallAndALocalRestoreAsTheConsoleShowsThem() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "no /usr/bin/chromium and /usr/bin/chromedriver here (scripts/setup installs them)");
    GuestImage.ensure(System.out::println);
    // Deployed through a link in the test's directory: the page (and its picture) shows the
    // reference as given, and a home directory's path has no place in it.
    String image =
        Files.createSymbolicLink(
                dir.resolve("python"), ExampleImages.ensure(System.out::println).python())
            .toString();
    ServeProcess serve = ServeProcess.start(dir, dir.resolve("serve"), 1, List.of(), Map.of());
    String at = serve.gateway();
    WebDriver browser = null;
    try {
      assertThat(Files.readString(serve.log())).contains("console: " + at + "/ui/");
      withoutACredentialEverythingIs401(at);
      browser = chromium();
      logIn(browser, at, Files.readString(dir.resolve("serve/token")).strip());

      // Deploy through the form.
      browser.findElement(By.id("deploy-name")).sendKeys("py");
      browser.findElement(By.id("deploy-image")).sendKeys(image);
      browser.findElement(By.id("deploy-submit")).click();
      WebDriver b = browser;
      await().atMost(COLD).until(() -> text(b, "#deploy-output").startsWith("deployed py"));
      await().atMost(WAIT).until(() -> present(b, "#functions tr[data-name='py']"));
      assertThat(text(b, "#functions tr[data-name='py']")).contains("256 MiB");

      // The first call boots.
      invoke(b, "GET", "/", "");
      await().atMost(COLD).until(() -> text(b, "#invoke-output").equals("hello from python"));
      await().atMost(WAIT).until(() -> kinds(b).equals(List.of("boot")));
      assertThat(text(b, "#invoke-headers")).contains("x-thaw-start: cold");
      // Its snapshot is made behind the answer: the cache panel lists it, and the clone that
      // verified it stays warm.
      await().atMost(COLD).until(() -> present(b, ".cache-entry[data-revision='py']"));
      await().atMost(COLD).until(() -> warm(b) == 1);
      assertThat(text(b, "#functions tr[data-name='py'] .snapshot-on")).isEqualTo("node-1");

      // A warm call, whose output reaches the log tail.
      invoke(b, "GET", "/log?text=console-log-marker", "");
      await().atMost(WAIT).until(() -> kinds(b).equals(List.of("warm", "boot")));
      assertThat(text(b, "#invoke-output")).isEqualTo("logged");
      await()
          .atMost(Duration.ofMinutes(1))
          .until(() -> text(b, "#logs").contains("console-log-marker"));

      // Past the keep-alive (3 s) the instance is gone: the next call restores the snapshot.
      await().atMost(COLD).until(() -> warm(b) == 0);
      invoke(b, "GET", "/", "");
      await().atMost(COLD).until(() -> kinds(b).equals(List.of("local", "warm", "boot")));
      await().atMost(WAIT).until(() -> text(b, "#invoke-output").equals("hello from python"));
      Path shot = Path.of("target", "console.png");
      Files.createDirectories(shot.getParent());
      Files.copy(
          ((ChromeDriver) b).getScreenshotAs(OutputType.FILE).toPath(),
          shot,
          StandardCopyOption.REPLACE_EXISTING);

      // A function's answer is text on the page, never markup that runs.
      String title = b.getTitle();
      invoke(b, "POST", "/echo", HOSTILE);
      await().atMost(COLD).until(() -> text(b, "#invoke-output").equals(HOSTILE));
      await().atMost(WAIT).until(() -> kinds(b).size() == 4);
      assertThat(b.getTitle()).isEqualTo(title).isEqualTo("Thaw console");
      assertThat(((JavascriptExecutor) b).executeScript("return window.pwned === undefined"))
          .isEqualTo(true);
      assertThat(b.findElements(By.cssSelector("#invoke-output img, #invoke-output script")))
          .isEmpty();
    } finally {
      if (browser != null) {
        browser.quit();
      }
      serve.stop();
    }
  }

  /** Headless Chromium with a fresh profile and none of its calls home (the network is closed). */
  private WebDriver chromium() throws Exception {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1440,1800",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(dir.resolve("chromedriver.log").toFile())
            .build();
    return new ChromeDriver(service, options);
  }

  private static void logIn(WebDriver b, String at, String token) {
    b.get(at + "/ui/");
    // No session: the login form, nothing else.
    assertThat(b.findElements(By.id("functions"))).isEmpty();
    b.findElement(By.id("token")).sendKeys(token);
    b.findElement(By.id("login-submit")).click();
    await().atMost(WAIT).until(() -> !b.findElements(By.id("functions")).isEmpty());
    assertThat(b.getTitle()).isEqualTo("Thaw console");
  }

  private static void invoke(WebDriver b, String method, String path, String body) {
    b.findElement(By.xpath("//select[@id='invoke-method']/option[text()='" + method + "']"))
        .click();
    WebElement p = b.findElement(By.id("invoke-path"));
    p.clear();
    p.sendKeys(path);
    WebElement in = b.findElement(By.id("invoke-body"));
    in.clear();
    in.sendKeys(body);
    // Clear the last answer first, so a wait sees this one.
    ((JavascriptExecutor) b)
        .executeScript("document.getElementById('invoke-output').textContent = ''");
    b.findElement(By.id("invoke-submit")).click();
  }

  /** The kinds of the timeline, newest first. */
  @SuppressWarnings("unchecked")
  private static List<String> kinds(WebDriver b) {
    // One script reads the whole list at once: the page redraws it every poll.
    return (List<String>)
        ((JavascriptExecutor) b)
            .executeScript(
                "return Array.from(document.querySelectorAll('#timeline li'),"
                    + " e => e.dataset.kind)");
  }

  /** Warm instances of py, as the functions table shows them. */
  private static int warm(WebDriver b) {
    String w = text(b, "#functions tr[data-name='py'] .warm");
    return w.isEmpty() ? -1 : Integer.parseInt(w);
  }

  /** The text of what {@code css} selects, as the page holds it (textContent); "" when absent. */
  private static String text(WebDriver b, String css) {
    Object t =
        ((JavascriptExecutor) b)
            .executeScript(
                "const e = document.querySelector(arguments[0]);"
                    + " return e === null ? '' : e.textContent",
                css);
    return String.valueOf(t).strip();
  }

  private static boolean present(WebDriver b, String css) {
    return !b.findElements(By.cssSelector(css)).isEmpty();
  }

  private static void withoutACredentialEverythingIs401(String at) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (String route :
        List.of(
            "/ui/",
            "/functions",
            "/nodes",
            "/caches",
            "/functions/py/invocations",
            "/functions/py/logs")) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(at + route)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(route).isEqualTo(401);
      assertThat(r.body()).as(route).doesNotContain("node-1");
    }
  }
}
