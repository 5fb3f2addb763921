package dev.thaw.bench.plot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * A report's one HTML page, {@code report.html}, that stands alone: the text a report writes,
 * followed by each of its charts, saved as a PNG beside the page and inlined in it, so that the
 * page can be mailed or attached on its own while the PNGs go into documents.
 */
public final class ReportPage {
  private ReportPage() {}

  /**
   * Saves each chart as {@code dir/NAME.png}, appends them (a heading and the inlined image each)
   * and the page's end to {@code html}, and writes {@code dir/report.html}.
   *
   * @param charts the charts by file name, in the order the page shows them
   * @return the page
   */
  public static Path write(StringBuilder html, Map<String, Chart<?, ?>> charts, Path dir)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    for (var e : charts.entrySet()) {
      Path png = dir.resolve(e.getKey() + ".png");
      BitmapEncoder.saveBitmap(e.getValue(), png.toString(), BitmapEncoder.BitmapFormat.PNG);
      html.append("<h2>")
          .append(escape(e.getValue().getTitle()))
          .append("</h2><img alt=\"")
          .append(e.getKey())
          .append("\" src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(Files.readAllBytes(png)))
          .append("\">");
    }
    html.append("</body></html>\n");
    Path page = dir.resolve("report.html");
    Files.writeString(page, html);
    return page;
  }

  /** {@code s} as HTML text or attribute value. */
  public static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
