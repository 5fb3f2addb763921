/*
 * thaw-guest: the function server inside a Thaw microVM.
 *
 * One process, one thread, no fork per request: under TCG every fork and exec costs
 * tens of milliseconds, and after a snapshot restore the server must answer its first
 * request from pages that are already in the memory file.
 *
 * Usage: thaw-guest HANDLER INIT_MIB   (listens on 0.0.0.0:8080)
 *
 * Handlers:
 *   hello     answers a fixed JSON greeting.
 *   stateful  at start fills INIT_MIB MiB with a pseudo-random sequence seeded per boot
 *             and keeps its checksum and an invocation counter in memory; every
 *             invocation increments the counter. GET /verify re-reads the whole buffer.
 *
 * Every handler answers GET /health with 200, and /_thaw/mute by closing its listening socket
 * for good after the answer: a snapshot taken afterwards makes clones that never answer (a dead
 * snapshot, made on purpose for the tests of its handling). A query parameter ms=N makes an invocation
 * take N milliseconds (the handler sleeps), so trace replays can give each invocation the
 * duration the trace drew for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *handler;
static uint64_t boot_id;
static uint64_t *state;
static size_t state_words;
static uint64_t state_checksum;
static uint64_t counter;
static long init_ms;
static int muted;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint64_t checksum(void) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < state_words; i++) h = (h ^ state[i]) * 1099511628211ULL;
  return h;
}

static void init_state(long mib) {
  long start = now_ms();
  state_words = (size_t)mib * 1024 * 1024 / sizeof(uint64_t);
  state = malloc(state_words * sizeof(uint64_t) + 1);
  if (state == NULL) {
    perror("thaw-guest: malloc");
    exit(1);
  }
  uint64_t x = boot_id | 1;
  for (size_t i = 0; i < state_words; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state[i] = x;
  }
  state_checksum = checksum();
  init_ms = now_ms() - start;
}

static void reply(int fd, int status, const char *body) {
  char head[256];
  const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, reason, strlen(body));
  if (write(fd, head, n) < 0 || write(fd, body, strlen(body)) < 0) perror("thaw-guest: write");
}

static void serve(int fd) {
  char req[8192];
  size_t len = 0;
  char *end = NULL;
  while (len < sizeof req - 1 && end == NULL) {
    ssize_t n = read(fd, req + len, sizeof req - 1 - len);
    if (n <= 0) return;
    len += n;
    req[len] = 0;
    end = strstr(req, "\r\n\r\n");
  }
  if (end == NULL) {
    reply(fd, 400, "{\"error\":\"request head too large\"}");
    return;
  }
  /* Drain a request body so the client never sees a reset before our answer. */
  long body = 0;
  char *cl = strcasestr(req, "\r\ncontent-length:");
  if (cl != NULL) body = strtol(cl + 17, NULL, 10);
  long have = (long)(len - (end + 4 - req));
  char sink[4096];
  while (have < body) {
    ssize_t n = read(fd, sink, sizeof sink);
    if (n <= 0) break;
    have += n;
  }
  char method[8] = {0}, path[256] = {0};
  sscanf(req, "%7s %255s", method, path);
  char *query = strchr(path, '?');
  if (query != NULL) {
    *query++ = 0;
    char *ms = strstr(query, "ms=");
    long millis = ms != NULL ? strtol(ms + 3, NULL, 10) : 0;
    if (millis > 0 && millis <= 600000) {
      struct timespec pause = {millis / 1000, (millis % 1000) * 1000000L};
      nanosleep(&pause, NULL);
    }
  }
  char out[512];
  if (strcmp(path, "/_thaw/mute") == 0) {
    muted = 1;
    snprintf(out, sizeof out, "{\"muted\":true,\"function\":\"%s\"}", handler);
  } else if (strcmp(path, "/health") == 0) {
    snprintf(out, sizeof out, "{\"status\":\"ok\",\"function\":\"%s\"}", handler);
  } else if (strcmp(handler, "hello") == 0) {
    snprintf(out, sizeof out, "{\"function\":\"hello\",\"message\":\"hello from thaw\"}");
  } else if (strcmp(handler, "stateful") == 0 && strcmp(path, "/verify") == 0) {
    snprintf(out, sizeof out, "{\"function\":\"stateful\",\"intact\":%s}",
             checksum() == state_checksum ? "true" : "false");
  } else if (strcmp(handler, "stateful") == 0) {
    counter++;
    snprintf(out, sizeof out,
             "{\"function\":\"stateful\",\"bootId\":\"%016llx\",\"initMiB\":%zu,"
             "\"checksum\":\"%016llx\",\"initMs\":%ld,\"counter\":%llu}",
             (unsigned long long)boot_id, state_words * sizeof(uint64_t) / (1024 * 1024),
             (unsigned long long)state_checksum, init_ms, (unsigned long long)counter);
  } else {
    reply(fd, 404, "{\"error\":\"unknown handler\"}");
    return;
  }
  reply(fd, 200, out);
}

int main(int argc, char **argv) {
  handler = argc > 1 ? argv[1] : "hello";
  long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (getrandom(&boot_id, sizeof boot_id, 0) != sizeof boot_id) boot_id = (uint64_t)now_ms();
  if (strcmp(handler, "stateful") == 0) init_state(mib > 0 ? mib : 32);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(8080)};
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 64) != 0) {
    perror("thaw-guest: listen");
    return 1;
  }
  printf("thaw-guest: %s ready on :8080 (init %ld ms)\n", handler, init_ms);
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      if (errno != EINTR) perror("thaw-guest: accept");
      continue;
    }
    /* A peer that sends nothing must not hold this one-connection server for good: a clone
     * resumes with whatever connection the snapshot caught open, and no peer exists for it. */
    struct timeval limit = {2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    serve(c);
    close(c);
    if (muted) {
      close(s);
      printf("thaw-guest: muted: no longer listening\n");
      fflush(stdout);
      for (;;) pause();
    }
  }
}
