/*
 * thaw-guest: the function server inside a Thaw microVM.
 *
 * One process, one thread, no fork per request: under TCG every fork and exec costs
 * tens of milliseconds, and after a snapshot restore the server must answer its first
 * request from pages that are already in the memory file.
 *
 * Usage: thaw-guest HANDLER INIT_MIB   (listens on 0.0.0.0:8080)
 *        thaw-guest image               (a function from an image; see below)
 *
 * Handlers:
 *   hello     answers a fixed JSON greeting.
 *   probe     GET /?to=IP:PORT[,IP:PORT...] tries to connect to each and reports what it reached:
 *             the tests of the guest network run it as the hostile function.
 *   stateful  at start fills INIT_MIB MiB with a pseudo-random sequence seeded per boot
 *             and keeps its checksum and an invocation counter in memory; every
 *             invocation increments the counter. GET /verify re-reads the whole buffer.
 *
 *   image     starts a function from an image, whose root filesystem init has mounted at
 *             /thaw/root, and serves only the control endpoints below, on the control port.
 *             The host forwards invocations straight to the function's own port (no copy
 *             through this server on the warm path). The function is described by the QEMU
 *             fw_cfg file opt/thaw/fn: NUL-terminated "key=value" strings, keys arg (one per
 *             argv entry, in order), env (one per NAME=value), dir (working directory), user
 *             (uid or uid:gid), groups (optional: up to 64 supplementary gids, comma-separated),
 *             port (the function's) and control (this server's port). The function runs chrooted
 *             in /thaw/root with exactly that argv, environment, directory, user and groups (none
 *             without a groups entry); stdin is /dev/null, stdout and stderr pipes that a relay
 *             process copies to the virtio serial ports the host names thaw.stdout and
 *             thaw.stderr (the function's logs; the console when the host gives none). Once its
 *             port accepts connections the
 *             server prints "function listens on :PORT" and then "ready on :CONTROL"; if the
 *             function exits first, "function exited" with its status. GET /health answers 500
 *             once the function has exited; GET /_thaw/sync writes every dirty page to disk.
 *
 * /_thaw/... requests are served only when they come from the host (source address 10.0.2.2, the
 * agent through its forwarded port) and carry the VM's control key in X-Thaw-Key; else 403. The
 * key (32 to 64 hex digits) is the fw_cfg file opt/thaw/key, which the host writes at boot and no
 * other process on the host can read; a clone starts with the key of the VM that was snapshotted,
 * and the host gives it its own in its resume (key=...). Without the file (an older host), no key
 * is asked for.
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
#include <stdarg.h>
#include <fcntl.h>
#include <linux/random.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
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
/* The control key: /_thaw/ requests carry it (X-Thaw-Key); "" when the host gave none. */
static char control_key[65];
/* Image mode: this server's port, the function's port and process. */
static int control_port = 8080;
static int fn_port;
static pid_t fn_pid;

#define FN_CONFIG "/sys/firmware/qemu_fw_cfg/by_name/opt/thaw/fn/raw"
#define KEY_CONFIG "/sys/firmware/qemu_fw_cfg/by_name/opt/thaw/key/raw"
#define FN_ROOT "/thaw/root"
#define FN_MAX_CONFIG (64 * 1024)
#define FN_MAX_ITEMS 256
#define FN_MAX_GROUPS 64

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
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether s[0..len) is 32 to 64 hex digits: a control key. */
static int valid_key(const char *s, size_t len) {
  if (len < 32 || len > 64) return 0;
  for (size_t i = 0; i < len; i++)
    if (hexval(s[i]) < 0) return 0;
  return 1;
}

/* Reads the control key the host gave at boot (fw_cfg opt/thaw/key); none on older hosts. */
static void read_key(void) {
  int fd = open(KEY_CONFIG, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[80];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0)) n--;
  if (n > 0 && valid_key(buf, (size_t)n)) {
    memcpy(control_key, buf, (size_t)n);
    control_key[n] = 0;
  } else {
    say("thaw-guest: the control key the host gave is malformed; control requests are refused\n");
    strcpy(control_key, "-");
  }
}

/* Whether the request head req carries the control key (compared in constant time). */
static int has_key(const char *req) {
  if (control_key[0] == 0) return 1;
  const char *h = strcasestr(req, "\r\nx-thaw-key:");
  if (h == NULL) return 0;
  h += 14;
  while (*h == ' ' || *h == '\t') h++;
  size_t want = strlen(control_key), len = strcspn(h, "\r\n \t");
  unsigned char diff = len != want;
  for (size_t i = 0; i < want; i++) diff |= (unsigned char)(h[i < len ? i : 0] ^ control_key[i]);
  return diff == 0;
}

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
  size_t key_len = 0;
  const char *key = param(query, "key", &key_len);
  if (key != NULL && !valid_key(key, key_len)) {
    snprintf(out, outlen, "{\"error\":\"key is not 32 to 64 hex digits\"}");
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
  /* Every clone of one snapshot starts with the key of the VM that was snapshotted; from here on
   * each has its own, which only the host that restored it knows. */
  if (key != NULL) {
    memcpy(control_key, key, key_len);
    control_key[key_len] = 0;
  }
  snprintf(out, outlen,
           "{\"reseeded\":true,\"clockStepNs\":%lld,\"tookNs\":%lld,\"function\":\"%s\"}",
           host_ns - was, epoch_ns(CLOCK_MONOTONIC) - start, handler);
  return 200;
}

/* Prints a line on the console at once: the host waits for some of them. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

/* Parks this process (PID 1 must not exit) after a failure the host reads on the console. */
static void __attribute__((noreturn)) park(void) {
  for (;;) pause();
}

/* Reads the function's description; NULL (and the reason on the console) when it is unusable. */
static char *read_config(size_t *len) {
  static char buf[FN_MAX_CONFIG + 1];
  int fd = open(FN_CONFIG, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    say("thaw-guest: function exited: cannot read " FN_CONFIG ": %s\n", strerror(errno));
    return NULL;
  }
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) > 0) n += r;
  close(fd);
  if (n == 0 || n > FN_MAX_CONFIG || buf[n - 1] != 0) {
    say("thaw-guest: function exited: malformed function description (%zu bytes)\n", n);
    return NULL;
  }
  *len = n;
  return buf;
}

static int port_accepts(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int ok = s >= 0 && connect(s, (struct sockaddr *)&addr, sizeof addr) == 0;
  if (s >= 0) close(s);
  return ok;
}

/* Reads "1,2,3" (at most FN_MAX_GROUPS gids) into out; returns nonzero if it is not that. */
static int parse_groups(const char *v, gid_t *out, size_t *n) {
  *n = 0;
  if (*v == 0) return 0;
  for (const char *p = v;;) {
    if (*p < '0' || *p > '9' || *n == FN_MAX_GROUPS) return 1;
    char *end;
    errno = 0;
    unsigned long g = strtoul(p, &end, 10);
    if (errno != 0 || g > 0x7fffffffUL) return 1;
    out[(*n)++] = (gid_t)g;
    if (*end == 0) return 0;
    if (*end != ',') return 1;
    p = end + 1;
  }
}

/*
 * Opens the virtio serial port the host named NAME (/sys/class/virtio-ports/vportXpY/name), for
 * writing; -1 when there is none. The ports are announced by the host after the driver loads, so
 * this waits for them a little (up to 2 s).
 */
static int open_port(const char *name) {
  struct timespec pause10 = {0, 10 * 1000000L};
  for (int tries = 0; tries < 200; tries++) {
    for (int dev = 0; dev < 4; dev++) {
      for (int nr = 0; nr < 8; nr++) {
        char path[96], found[64] = {0};
        snprintf(path, sizeof path, "/sys/class/virtio-ports/vport%dp%d/name", dev, nr);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, found, sizeof found - 1);
        close(fd);
        if (n > 0 && found[n - 1] == '\n') found[n - 1] = 0;
        if (n <= 0 || strcmp(found, name) != 0) continue;
        snprintf(path, sizeof path, "/dev/vport%dp%d", dev, nr);
        return open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
      }
    }
    nanosleep(&pause10, NULL);
  }
  return -1;
}

/*
 * Writes all of buf to the port fd (opened non-blocking), waiting in poll while the host has not
 * taken what was sent: a host that reads slowly holds the function back. Not a blocking write: the
 * driver's blocking write spins on the CPU until the host has taken each buffer.
 */
static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd out = {.fd = fd, .events = POLLOUT};
      if (poll(&out, 1, -1) < 0 && errno != EINTR) return -1;
      continue;
    }
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/*
 * The relay process: copies the function's stdout and stderr pipes to their ports until both end.
 * Pipes, not the ports themselves, are the function's file descriptors because a port opens only
 * once: a function that reopens /dev/stdout (/proc/self/fd/1), as many images' log paths do, would
 * get EBUSY from a port and gets its pipe again from a pipe.
 */
static void __attribute__((noreturn)) relay(int out_pipe, int out_port, int err_pipe, int err_port) {
  static char buf[64 * 1024];
  struct pollfd fds[2] = {{.fd = out_pipe, .events = POLLIN}, {.fd = err_pipe, .events = POLLIN}};
  int ports[2] = {out_port, err_port};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || write_all(ports[i], buf, (size_t)n) != 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  _exit(0);
}

/* Starts the function from the image (see the top of this file); returns once it is forked. */
static void start_image(void) {
  size_t len = 0;
  char *cfg = read_config(&len);
  if (cfg == NULL) park();
  static char *argv[FN_MAX_ITEMS + 1], *envp[FN_MAX_ITEMS + 1];
  int argc = 0, envc = 0;
  const char *dir = "/";
  long uid = 0, gid = 0;
  static gid_t groups[FN_MAX_GROUPS];
  size_t ngroups = 0;
  int bad_groups = 0;
  for (char *p = cfg, *next; p < cfg + len; p = next) {
    /* The next entry starts after this one's NUL: found before the '=' below is cut, or an
     * env=NAME=value entry would be walked into at NAME=value as if that were an entry too. */
    next = p + strlen(p) + 1;
    char *eq = strchr(p, '=');
    if (eq == NULL) continue;
    *eq = 0;
    char *v = eq + 1;
    if (strcmp(p, "arg") == 0 && argc < FN_MAX_ITEMS) argv[argc++] = v;
    else if (strcmp(p, "env") == 0 && envc < FN_MAX_ITEMS) envp[envc++] = v;
    else if (strcmp(p, "dir") == 0) dir = v;
    else if (strcmp(p, "port") == 0) fn_port = (int)strtol(v, NULL, 10);
    else if (strcmp(p, "control") == 0) control_port = (int)strtol(v, NULL, 10);
    else if (strcmp(p, "user") == 0) {
      char *colon = NULL;
      uid = strtol(v, &colon, 10);
      gid = *colon == ':' ? strtol(colon + 1, NULL, 10) : uid;
    } else if (strcmp(p, "groups") == 0) {
      bad_groups = parse_groups(v, groups, &ngroups);
    }
  }
  if (bad_groups) {
    say("thaw-guest: function exited: its groups are not up to %d comma-separated gids\n",
        FN_MAX_GROUPS);
    park();
  }
  if (argc == 0 || fn_port <= 0 || fn_port > 65535 || control_port <= 0 || control_port > 65535) {
    say("thaw-guest: function exited: its description lacks argv or a port\n");
    park();
  }
  /* The function's stdout and stderr: the host's two output ports, read line by line there and
   * kept as the function's logs; the console (kernel and this server) stays apart. Without them
   * (a host that made none), the console. */
  int out = -1, err = -1, out_port = open_port("thaw.stdout"), err_port = open_port("thaw.stderr");
  int out_pipe[2], err_pipe[2];
  if (out_port >= 0 && err_port >= 0 && pipe2(out_pipe, O_CLOEXEC) == 0) {
    if (pipe2(err_pipe, O_CLOEXEC) == 0) {
      pid_t relay_pid = fork();
      if (relay_pid == 0) {
        close(out_pipe[1]);
        close(err_pipe[1]);
        relay(out_pipe[0], out_port, err_pipe[0], err_port);
      }
      close(err_pipe[0]);
      if (relay_pid > 0) {
        err = err_pipe[1];
      } else {
        close(err_pipe[1]);
      }
    }
    close(out_pipe[0]);
    if (err >= 0) {
      out = out_pipe[1];
    } else {
      close(out_pipe[1]);
    }
  }
  if (out_port >= 0) close(out_port);
  if (err_port >= 0) close(err_port);
  if (out < 0 || err < 0) say("thaw-guest: no output ports: the function writes to the console\n");
  fn_pid = fork();
  if (fn_pid < 0) {
    say("thaw-guest: function exited: fork: %s\n", strerror(errno));
    park();
  }
  if (fn_pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) {
      dup2(null, 0);
      close(null);
    }
    if (out >= 0 && err >= 0) {
      dup2(out, 1);
      dup2(err, 2);
    }
    if (chroot(FN_ROOT) != 0 || chdir(dir) != 0) {
      fprintf(stderr, "thaw-guest: cannot enter %s in the image: %s\n", dir, strerror(errno));
      _exit(127);
    }
    /* Groups first: setgroups and setgid need the privilege that setuid gives up. */
    if (setgroups(ngroups, ngroups ? groups : NULL) != 0 || setgid((gid_t)gid) != 0 ||
        setuid((uid_t)uid) != 0) {
      fprintf(stderr, "thaw-guest: cannot become %ld:%ld: %s\n", uid, gid, strerror(errno));
      _exit(127);
    }
    /* execvp searches the function's own PATH, as a container runtime does. */
    environ = envp;
    execvp(argv[0], argv);
    fprintf(stderr, "thaw-guest: cannot start %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  if (out >= 0) close(out);
  if (err >= 0) close(err);
  say("thaw-guest: started %s (pid %d), waiting for port %d\n", argv[0], fn_pid, fn_port);
}

/* Waits until the function's port accepts connections; parks if the function exits first. */
static void await_function(void) {
  struct timespec pause5 = {0, 5 * 1000000L};
  for (;;) {
    if (port_accepts(fn_port)) break;
    int status;
    if (waitpid(fn_pid, &status, WNOHANG) == fn_pid) {
      if (WIFEXITED(status))
        say("thaw-guest: function exited with status %d before opening port %d\n",
            WEXITSTATUS(status), fn_port);
      else
        say("thaw-guest: function exited on signal %d before opening port %d\n",
            WTERMSIG(status), fn_port);
      fn_pid = 0;
      park();
    }
    nanosleep(&pause5, NULL);
  }
  /* From now on this process (PID 1) reaps every child, orphans included, without waiting. */
  signal(SIGCHLD, SIG_IGN);
  say("thaw-guest: function listens on :%d\n", fn_port);
}

/*
 * Handler probe: tries to connect to each IPv4:PORT of the query's to=A:P,B:Q (at most 16), 1.5 s
 * each, and reports per target "connected <first bytes the peer sent>", "refused", "timeout",
 * "unreachable" or another errno text: what a function inside this VM can reach. With via=IP:PORT
 * it asks the HTTP proxy there instead (CONNECT target), and reports "connected ..." when the
 * proxy answered 200, else "proxy <its status line>". The tests of the guest network use it.
 */
static void probe(const char *query, char *out, size_t outlen) {
  size_t len = 0;
  const char *to = query != NULL ? param(query, "to", &len) : NULL;
  size_t used = (size_t)snprintf(out, outlen, "{\"function\":\"probe\",\"results\":{");
  char list[1024];
  if (to == NULL || len == 0 || len >= sizeof list) {
    snprintf(out, outlen, "{\"error\":\"probe needs to=IP:PORT[,IP:PORT...]\"}");
    return;
  }
  memcpy(list, to, len);
  list[len] = 0;
  size_t vlen = 0;
  const char *via = param(query, "via", &vlen);
  char proxy[64] = {0};
  if (via != NULL && vlen > 0 && vlen < sizeof proxy) memcpy(proxy, via, vlen);
  int n = 0;
  for (char *save = NULL, *t = strtok_r(list, ",", &save); t != NULL && n < 16;
       t = strtok_r(NULL, ",", &save), n++) {
    char host[64] = {0};
    int port = 0;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    char result[160];
    const char *dial = proxy[0] ? proxy : t;
    if (sscanf(dial, "%63[0-9.]:%d", host, &port) != 2 || port <= 0 || port > 65535 ||
        inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
      snprintf(result, sizeof result, "malformed target");
    } else {
      addr.sin_port = htons(port);
      int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      int rc = connect(s, (struct sockaddr *)&addr, sizeof addr);
      int err = rc == 0 ? 0 : errno;
      if (err == EINPROGRESS) {
        struct pollfd pf = {.fd = s, .events = POLLOUT};
        if (poll(&pf, 1, 1500) <= 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t el = sizeof err;
          getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
        }
      }
      char status[64] = {0};
      if (err == 0 && proxy[0]) {
        /* Blocking again for the proxy's answer, bounded by a receive timeout. */
        fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
        struct timeval limit = {3, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        char ask[256];
        int n_ask = snprintf(ask, sizeof ask, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", t, t);
        size_t head = 0;
        char hbuf[512] = {0};
        if (write(s, ask, n_ask) != n_ask) err = errno ? errno : EIO;
        /* Byte by byte up to the blank line: what follows is the tunnelled peer's. */
        while (err == 0 && head < sizeof hbuf - 1 && strstr(hbuf, "\r\n\r\n") == NULL) {
          ssize_t r = read(s, hbuf + head, 1);
          if (r <= 0) {
            err = r < 0 ? errno : ECONNRESET;
            break;
          }
          head++;
        }
        sscanf(hbuf, "%63[^\r\n]", status);
        if (err == 0 && strncmp(status, "HTTP/1.1 200", 12) != 0) err = -1;
      }
      if (err == -1) {
        for (char *c = status; *c; c++)
          if (*c == '"' || *c == '\\') *c = ' ';
        snprintf(result, sizeof result, "proxy %s", status);
      } else if (err == 0) {
        char got[48] = {0};
        struct pollfd pf = {.fd = s, .events = POLLIN};
        if (poll(&pf, 1, 1500) > 0) {
          ssize_t r = read(s, got, sizeof got - 1);
          if (r < 0) r = 0;
          got[r] = 0;
        }
        for (char *c = got; *c; c++)
          if (*c < 0x20 || *c == '"' || *c == '\\') *c = ' ';
        snprintf(result, sizeof result, "connected %s", got);
      } else if (err == ECONNREFUSED) {
        snprintf(result, sizeof result, "refused");
      } else if (err == ETIMEDOUT) {
        snprintf(result, sizeof result, "timeout");
      } else if (err == ENETUNREACH || err == EHOSTUNREACH) {
        snprintf(result, sizeof result, "unreachable");
      } else {
        snprintf(result, sizeof result, "%s", strerror(err));
      }
      close(s);
    }
    for (char *c = t; *c; c++)
      if (*c == '"' || *c == '\\') *c = ' ';
    used += (size_t)snprintf(out + used, used < outlen ? outlen - used : 0, "%s\"%s\":\"%s\"",
                             n > 0 ? "," : "", t, result);
    if (used >= outlen) break;
  }
  if (used < outlen) snprintf(out + used, outlen - used, "}}");
}

static void reply(int fd, int status, const char *body) {
  /* Head and body in one write: one segment, and no wait for the host's acknowledgement of the
   * head before the body may go (Nagle), which under TCG is guest code run on every answer. */
  char answer[8192];
  const char *reason = status == 200   ? "OK"
                       : status == 403 ? "Forbidden"
                       : status == 404 ? "Not Found"
                       : status == 500 ? "Internal Server Error"
                                       : "Bad Request";
  size_t len = strlen(body);
  int n = snprintf(answer, sizeof answer,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, reason, len);
  if (n > 0 && (size_t)n + len <= sizeof answer) {
    memcpy(answer + n, body, len);
    if (write(fd, answer, (size_t)n + len) < 0) perror("thaw-guest: write");
  } else if (n < 0 || write(fd, answer, (size_t)n) < 0 || write(fd, body, len) < 0) {
    perror("thaw-guest: write");
  }
}

/*
 * QEMU's user network gives connections the host forwards (the agent's, through its forwarded port
 * on the host's loopback) this source address; a process inside the VM cannot connect from it, and
 * with the network restricted nothing outside the VM reaches the forwarded port but the host.
 */
#define HOST_ADDR "10.0.2.2"

/* Serves one request on fd; returns 1 when it was a clone's resume, answered. */
static int serve(int fd, int from_host) {
  char req[8192];
  size_t len = 0;
  char *end = NULL;
  while (len < sizeof req - 1 && end == NULL) {
    ssize_t n = read(fd, req + len, sizeof req - 1 - len);
    if (n <= 0) return 0;
    len += n;
    req[len] = 0;
    end = strstr(req, "\r\n\r\n");
  }
  if (end == NULL) {
    reply(fd, 400, "{\"error\":\"request head too large\"}");
    return 0;
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
  if (strncmp(path, "/_thaw/", 7) == 0 && !from_host) {
    /* Resume, mute, sync and the clock answer the agent only: the function in this VM must not
     * reseed, mute or reset the clock of its own server behind the host's back. */
    reply(fd, 403, "{\"error\":\"control requests are taken from the host only\"}");
    return 0;
  }
  if (strncmp(path, "/_thaw/", 7) == 0 && !has_key(req)) {
    /* Anything on the host can reach the forwarded port; only the agent knows this VM's key. A
     * resume retried after its answer was lost carries the new key in its query: that is the
     * agent too (nobody else knows it), and the key is already the new one. */
    size_t key_len = 0;
    const char *again = strcmp(path, "/_thaw/resume") == 0 && query != NULL
                            ? param(query, "key", &key_len) : NULL;
    if (again == NULL || key_len != strlen(control_key) ||
        strncmp(again, control_key, key_len) != 0) {
      reply(fd, 403, "{\"error\":\"control requests need this VM's key (X-Thaw-Key)\"}");
      return 0;
    }
  }
  if (strcmp(path, "/_thaw/resume") == 0) {
    int status = resume(query, out, sizeof out);
    reply(fd, status, out);
    return status == 200;
  } else if (strcmp(path, "/_thaw/random") == 0) {
    unsigned char bytes[32];
    char hex[2 * sizeof bytes + 1];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
      snprintf(out, sizeof out, "{\"error\":\"getrandom: %s\"}", strerror(errno));
      reply(fd, 500, out);
      return 0;
    }
    for (size_t i = 0; i < sizeof bytes; i++) sprintf(hex + 2 * i, "%02x", bytes[i]);
    snprintf(out, sizeof out, "{\"random\":\"%s\"}", hex);
  } else if (strcmp(path, "/_thaw/clock") == 0) {
    snprintf(out, sizeof out, "{\"realtimeNs\":%lld,\"monotonicNs\":%lld}",
             epoch_ns(CLOCK_REALTIME), epoch_ns(CLOCK_MONOTONIC));
  } else if (strcmp(path, "/_thaw/mute") == 0) {
    muted = 1;
    snprintf(out, sizeof out, "{\"muted\":true,\"function\":\"%s\"}", handler);
  } else if (strcmp(path, "/_thaw/sync") == 0) {
    sync();
    snprintf(out, sizeof out, "{\"synced\":true}");
  } else if (strcmp(path, "/health") == 0 && fn_pid > 0 && kill(fn_pid, 0) != 0) {
    snprintf(out, sizeof out, "{\"error\":\"the function (pid %d) has exited\"}", fn_pid);
    reply(fd, 500, out);
    return 0;
  } else if (strcmp(path, "/health") == 0) {
    snprintf(out, sizeof out, "{\"status\":\"ok\",\"function\":\"%s\"}", handler);
  } else if (strcmp(handler, "probe") == 0) {
    static char big[4096];
    probe(query, big, sizeof big);
    reply(fd, strncmp(big, "{\"error", 7) == 0 ? 400 : 200, big);
    return 0;
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
  } else if (strcmp(handler, "image") == 0) {
    snprintf(out, sizeof out, "{\"error\":\"the function listens on its own port, %d\"}",
             fn_port);
    reply(fd, 404, out);
    return 0;
  } else {
    reply(fd, 404, "{\"error\":\"unknown handler\"}");
    return 0;
  }
  reply(fd, 200, out);
  return 0;
}

int main(int argc, char **argv) {
  handler = argc > 1 ? argv[1] : "hello";
  long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (getrandom(&boot_id, sizeof boot_id, 0) != sizeof boot_id) boot_id = (uint64_t)now_ms();
  read_key();
  urandom = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (urandom < 0) perror("thaw-guest: /dev/urandom (clones cannot be reseeded)");
  if (strcmp(handler, "stateful") == 0) init_state(mib > 0 ? mib : 32);
  if (strcmp(handler, "image") == 0) start_image();
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(control_port)};
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 64) != 0) {
    perror("thaw-guest: listen");
    return 1;
  }
  if (strcmp(handler, "image") == 0) await_function();
  printf("thaw-guest: %s ready on :%d (init %ld ms)\n", handler, control_port, init_ms);
  fflush(stdout);
  int deferred = -1;
  for (;;) {
    struct sockaddr_in peer;
    socklen_t peer_len = sizeof peer;
    int c = accept(s, (struct sockaddr *)&peer, &peer_len);
    if (c < 0) {
      if (errno != EINTR) perror("thaw-guest: accept");
      continue;
    }
    /* A peer that sends nothing must not hold this one-connection server for good: a clone
     * resumes with whatever connection the snapshot caught open, and no peer exists for it. */
    struct timeval limit = {2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    struct in_addr host;
    inet_pton(AF_INET, HOST_ADDR, &host);
    int resumed = serve(c, peer_len >= sizeof peer && peer.sin_family == AF_INET &&
                               peer.sin_addr.s_addr == host.s_addr);
    if (deferred >= 0) {
      close(deferred);
      deferred = -1;
    }
    if (resumed) {
      /* A clone's first request: the function's follows at once. The FIN goes now (the host sees
       * the end of the answer), but the socket is freed after the next answer: its teardown (the
       * socket's inode and dentry, its RCU callbacks) is guest code TCG translates afresh in a
       * clone, about 500 of the 1,100 blocks the function's first answer otherwise waits for. */
      shutdown(c, SHUT_WR);
      deferred = c;
    } else {
      close(c);
    }
    if (muted) {
      close(s);
      printf("thaw-guest: muted: no longer listening\n");
      fflush(stdout);
      for (;;) pause();
    }
  }
}
