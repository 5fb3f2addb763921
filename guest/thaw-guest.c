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
 *
 * Clones: every clone of a snapshot resumes with the snapshot's memory, so with the same kernel RNG
 * state and the wall clock of the moment of the snapshot. The host's first request to a restored
 * clone, before any other, is GET /_thaw/resume?seed=<64 hex digits>&t=<host epoch ns>: the seed
 * (fresh from the host's SecureRandom) is credited to the kernel's input pool (RNDADDENTROPY) and
 * the CRNG reseeded from it at once (RNDRESEEDCRNG), so getrandom() diverges from every other
 * clone; CLOCK_REALTIME is set to t. The monotonic clock is left alone: it continues from the
 * snapshot, which is what timers and sleeps in the guest expect. Any failure answers 500 (the host
 * refuses such a clone). GET /_thaw/random answers 32 bytes of getrandom() in hex and GET
 * /_thaw/clock the realtime and monotonic clocks in nanoseconds, for the tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
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
/* Opened at start, before any snapshot: a clone reseeds without a path lookup. */
static int urandom = -1;

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

static long long epoch_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The value of query parameter NAME (up to the next '&') in QUERY, or NULL. */
static const char *param(const char *query, const char *name, size_t *len) {
  size_t n = strlen(name);
  const char *p = query;
  while (p != NULL) {
    if (strncmp(p, name, n) == 0 && p[n] == '=') {
      *len = strcspn(p + n + 1, "&");
      return p + n + 1;
    }
    p = strchr(p, '&');
    if (p != NULL) p++;
  }
  return NULL;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/*
 * GET /_thaw/resume: mixes the host's seed into the kernel RNG, reseeds the CRNG, sets the wall
 * clock. Writes the JSON answer to OUT; returns the HTTP status.
 */
static int resume(const char *query, char *out, size_t outlen) {
  struct {
    struct rand_pool_info info;
    unsigned char bytes[32];
  } seed;
  size_t len = 0;
  const char *hex = query != NULL ? param(query, "seed", &len) : NULL;
  if (hex == NULL || len != 2 * sizeof seed.bytes) {
    snprintf(out, outlen, "{\"error\":\"resume needs seed=<64 hex digits>\"}");
    return 400;
  }
  for (size_t i = 0; i < sizeof seed.bytes; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      snprintf(out, outlen, "{\"error\":\"seed is not hexadecimal\"}");
      return 400;
    }
    seed.bytes[i] = (unsigned char)(hi << 4 | lo);
  }
  const char *t = param(query, "t", &len);
  char *tend = NULL;
  long long host_ns = t != NULL ? strtoll(t, &tend, 10) : 0;
  if (t == NULL || tend != t + len || host_ns <= 0) {
    snprintf(out, outlen, "{\"error\":\"resume needs t=<host epoch nanoseconds>\"}");
    return 400;
  }
  long long start = epoch_ns(CLOCK_MONOTONIC);
  seed.info.entropy_count = 8 * sizeof seed.bytes;
  seed.info.buf_size = sizeof seed.bytes;
  if (urandom < 0 || ioctl(urandom, RNDADDENTROPY, &seed) != 0) {
    snprintf(out, outlen, "{\"error\":\"RNDADDENTROPY: %s\"}",
             urandom < 0 ? "/dev/urandom not open" : strerror(errno));
    return 500;
  }
  if (ioctl(urandom, RNDRESEEDCRNG) != 0) {
    snprintf(out, outlen, "{\"error\":\"RNDRESEEDCRNG: %s\"}", strerror(errno));
    return 500;
  }
  long long was = epoch_ns(CLOCK_REALTIME);
  struct timespec now = {host_ns / 1000000000LL, host_ns % 1000000000LL};
  if (clock_settime(CLOCK_REALTIME, &now) != 0) {
    snprintf(out, outlen, "{\"error\":\"clock_settime: %s\"}", strerror(errno));
    return 500;
  }
  snprintf(out, outlen,
           "{\"reseeded\":true,\"clockStepNs\":%lld,\"tookNs\":%lld,\"function\":\"%s\"}",
           host_ns - was, epoch_ns(CLOCK_MONOTONIC) - start, handler);
  return 200;
}

static void reply(int fd, int status, const char *body) {
  char head[256];
  const char *reason = status == 200   ? "OK"
                       : status == 404 ? "Not Found"
                       : status == 500 ? "Internal Server Error"
                                       : "Bad Request";
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
  if (strcmp(path, "/_thaw/resume") == 0) {
    int status = resume(query, out, sizeof out);
    reply(fd, status, out);
    return;
  } else if (strcmp(path, "/_thaw/random") == 0) {
    unsigned char bytes[32];
    char hex[2 * sizeof bytes + 1];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
      snprintf(out, sizeof out, "{\"error\":\"getrandom: %s\"}", strerror(errno));
      reply(fd, 500, out);
      return;
    }
    for (size_t i = 0; i < sizeof bytes; i++) sprintf(hex + 2 * i, "%02x", bytes[i]);
    snprintf(out, sizeof out, "{\"random\":\"%s\"}", hex);
  } else if (strcmp(path, "/_thaw/clock") == 0) {
    snprintf(out, sizeof out, "{\"realtimeNs\":%lld,\"monotonicNs\":%lld}",
             epoch_ns(CLOCK_REALTIME), epoch_ns(CLOCK_MONOTONIC));
  } else if (strcmp(path, "/_thaw/mute") == 0) {
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
  urandom = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (urandom < 0) perror("thaw-guest: /dev/urandom (clones cannot be reseeded)");
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
