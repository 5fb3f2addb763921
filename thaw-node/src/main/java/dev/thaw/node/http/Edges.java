package dev.thaw.node.http;

import dev.thaw.core.function.Revision;
import dev.thaw.http.HttpAnswer;
import dev.thaw.http.HttpEdge;
import dev.thaw.node.protocol.Refused;
import dev.thaw.node.protocol.Served;
import java.util.Optional;

/** What the agent's and the gateway's HTTP servers share: refusals as statuses, revisions. */
public final class Edges {
  private Edges() {}

  /** An {@link HttpEdge} builder that answers a {@link Refused} with its kind's status. */
  public static HttpEdge.Builder builder(String name) {
    return HttpEdge.builder(name)
        .errors(
            e ->
                e instanceof Refused r
                    ? Optional.of(HttpAnswer.error(Refused.httpStatus(r.kind()), r.getMessage()))
                    : Optional.empty());
  }

  /** A function's answer, with where and how it ran in its {@code X-Thaw-*} headers. */
  public static HttpAnswer answer(int status, String contentType, byte[] body, Served served) {
    return new HttpAnswer(
        status,
        contentType.isEmpty() ? "application/octet-stream" : contentType,
        served.headers(),
        body);
  }

  /** The revision a request path names; refused as INVALID (400) when it is not a valid one. */
  public static Revision revision(String name) {
    try {
      return Revision.of(name);
    } catch (IllegalArgumentException e) {
      throw new Refused(Refused.Kind.INVALID, e.getMessage(), e);
    }
  }
}
