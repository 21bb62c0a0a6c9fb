/* The reference firmware as a process on the CI machine: eqp_board.c over a serial device or pty,
 * with the simulated XY network (sim/eqp_sim_xy.c) as its hardware. It keeps running when the link
 * goes away (socat killed = cable pulled) and reopens the path when it comes back.
 *
 * usage: eqp-board --path DEV --topology FILE [--uid UID] [--boot-file FILE] [--max-batch N]
 *                  [--max-frame N] [--coupling MIN,MAX,LEVELS] [--bias MIN,MAX,LEVELS]
 *                  [--baud N --pace] [--major M] [--tol T] [--max-steps-limit N]
 *                  [--default-budget-us N] [--budget-limit-us N] [--window N] [--learn]
 *        eqp-board --print-rng SEED N      (N uniforms in (-pi, pi), for the cross-language check)
 *        eqp-board --print-sincos          (one phase per stdin line -> "cos sin" of the simulated physics)
 * SIGUSR1 reboots the board (boot counter + 1); SIGTERM and SIGINT end the process within one
 * relaxation slice, closing the port. --tol sets the settling tolerance of the simulated physics
 * (a tiny value makes relaxations that never settle, for tests of the RELAX budgets). --learn
 * announces capability onBoardLearning and accepts the LEARN_* commands (SPEC 13).
 * EQP_BOARD_TRACE=FILE writes one line per event to FILE: monotonic ms, rx/start/done/q/w and numbers.
 *
 * Topology file: "nodes N", "clampable i j ...", "nudgeable i j ...", "edges M" and M lines "a b". */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../eqp_board.h"
#include "../eqp_rng.h"
#include "../sim/eqp_sim_xy.h"

#define FIRMWARE_VERSION "eqp-ref-fw 0.1.0 (host sim)"

/* Paced bytes wait here until a UART at the baud rate would have sent them, as in a DMA transmit
 * buffer: a transmit thread hands them to the pty when due while the board goes on reading, running
 * commands and relaxing (a relaxation holds the board's loop for a whole sample), and bytes that are
 * due by the time it wakes leave in one write, so a late wake-up delays no frame behind it. The
 * mutex guards the queue and fd; only the main thread runs the board. */
#define TX_BYTES 65536u
#define TX_FRAMES 64u

typedef struct {
  eqp_sim_xy_t sim;
  int fd;
  const char *path;
  double pace_bytes_per_s; /* 0 = no pacing */
  double busy_until;       /* seconds (monotonic) the simulated UART is busy until */
  uint8_t tx[TX_BYTES];    /* paced bytes not yet handed to the pty */
  size_t tx_len;
  size_t tx_end[TX_FRAMES]; /* end offset in tx of each queued write, and when it is due (s) */
  double tx_due[TX_FRAMES];
  unsigned tx_count;
  pthread_mutex_t mu;
  pthread_cond_t cv;       /* a write was queued, the queue drained, or stop */
  bool tx_thread, tx_stop;
} host_t;

static host_t host;
static pthread_t tx_thread_id;
/* EQP_BOARD_TRACE=FILE: one line per event (monotonic ms, what), to see where a step's time goes */
static FILE *trace;
static eqp_board_t board;
static eqp_board_config_t cfg;
static eqp_edge_t edges[EQP_BOARD_MAX_EDGES];
static uint16_t clampable[EQP_BOARD_MAX_NODES], nudgeable[EQP_BOARD_MAX_NODES];
static volatile sig_atomic_t reboot_requested, stop_requested;

static double mono_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
  struct timespec ts;
  if (s <= 0.0) return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
}

/* ---- HAL ------------------------------------------------------------------------------------- */

static uint32_t hal_now_ms(void *ctx)
{
  (void)ctx;
  return (uint32_t)(uint64_t)(mono_s() * 1000.0);
}

/* with h->mu held */
static void link_down(host_t *h)
{
  if (h->fd < 0) return;
  close(h->fd);
  h->fd = -1;
  h->tx_len = 0; /* what the UART had not sent yet is lost with the cable */
  h->tx_count = 0;
  if (h->tx_thread) pthread_cond_broadcast(&h->cv);
  printf("eqp-board: link down\n");
  fflush(stdout);
}

static void link_down_now(host_t *h)
{
  pthread_mutex_lock(&h->mu);
  link_down(h);
  pthread_mutex_unlock(&h->mu);
}

static void trace_ev(const char *what, double a, double b)
{
  if (trace) fprintf(trace, "%.3f %s %g %g\n", mono_s() * 1000.0, what, a, b);
}

static void write_all(host_t *h, const uint8_t *p, size_t n)
{
  size_t done = 0;
  trace_ev("w", (double)n, 0);
  while (done < n && h->fd >= 0) {
    ssize_t w = write(h->fd, p + done, n - done);
    if (w > 0) { done += (size_t)w; continue; }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      struct pollfd pf = {h->fd, POLLOUT, 0};
      poll(&pf, 1, 10);
      continue;
    }
    link_down(h);
  }
}

/* Hands the pty every queued write that is due by now (all of them when wait is set, sleeping until
 * the last is due). */
static void tx_flush(host_t *h, int wait)
{
  unsigned k = 0, j;
  size_t end;
  double t;
  if (h->tx_count == 0) return;
  if (wait) sleep_s(h->tx_due[h->tx_count - 1] - mono_s());
  t = mono_s();
  while (k < h->tx_count && h->tx_due[k] <= t) k++;
  if (k == 0) return;
  end = h->tx_end[k - 1];
  write_all(h, h->tx, end);
  memmove(h->tx, h->tx + end, h->tx_len - end);
  h->tx_len -= end;
  for (j = k; j < h->tx_count; j++) { h->tx_end[j - k] = h->tx_end[j] - end; h->tx_due[j - k] = h->tx_due[j]; }
  h->tx_count -= k;
}

static void hal_uart_write(void *ctx, const uint8_t *p, size_t n)
{
  host_t *h = ctx;
  double t, start;
  pthread_mutex_lock(&h->mu);
  if (h->fd < 0) { pthread_mutex_unlock(&h->mu); return; } /* no cable: the bytes go nowhere, as on a real UART */
  if (h->pace_bytes_per_s <= 0.0) { write_all(h, p, n); pthread_mutex_unlock(&h->mu); return; }
  /* a pty takes any rate: deliver when a UART at this baud rate would have sent the last byte */
  t = mono_s();
  start = h->busy_until > t ? h->busy_until : t;
  h->busy_until = start + (double)n / h->pace_bytes_per_s;
  if (n > TX_BYTES) {
    while (h->tx_count > 0 && h->fd >= 0) pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    sleep_s(h->busy_until - mono_s());
    pthread_mutex_lock(&h->mu);
    write_all(h, p, n);
    pthread_mutex_unlock(&h->mu);
    return;
  }
  while ((h->tx_count == TX_FRAMES || h->tx_len + n > TX_BYTES) && h->fd >= 0) pthread_cond_wait(&h->cv, &h->mu);
  if (h->fd >= 0) {
    memcpy(h->tx + h->tx_len, p, n);
    h->tx_len += n;
    h->tx_end[h->tx_count] = h->tx_len;
    h->tx_due[h->tx_count] = h->busy_until;
    h->tx_count++;
    trace_ev("q", (double)n, h->busy_until * 1000.0);
    pthread_cond_broadcast(&h->cv);
  }
  pthread_mutex_unlock(&h->mu);
}

/* The transmit thread: sleeps until the oldest queued write is due, then hands the pty all that are. */
static void *tx_main(void *arg)
{
  host_t *h = arg;
  pthread_mutex_lock(&h->mu);
  while (!h->tx_stop) {
    if (h->tx_count == 0) { pthread_cond_wait(&h->cv, &h->mu); continue; }
    if (h->tx_due[0] > mono_s()) {
      struct timespec ts;
      ts.tv_sec = (time_t)h->tx_due[0];
      ts.tv_nsec = (long)((h->tx_due[0] - (double)ts.tv_sec) * 1e9);
      pthread_cond_timedwait(&h->cv, &h->mu, &ts);
      continue;
    }
    tx_flush(h, 0);
    pthread_cond_broadcast(&h->cv); /* room for a writer waiting on a full queue */
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

static void tx_start(host_t *h)
{
  pthread_condattr_t a;
  sigset_t all, old;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&h->cv, &a);
  pthread_condattr_destroy(&a);
  if (h->pace_bytes_per_s <= 0.0) return;
  /* the signals (reboot, stop) belong to the main thread: its poll returns for them */
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  h->tx_thread = pthread_create(&tx_thread_id, NULL, tx_main, h) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!h->tx_thread) { fprintf(stderr, "eqp-board: cannot start the transmit thread\n"); exit(2); }
}

/* Waits until every queued byte is out (or the link is gone), then stops the transmit thread. */
static void tx_stop(host_t *h)
{
  pthread_mutex_lock(&h->mu);
  while (h->tx_thread && h->tx_count > 0 && h->fd >= 0) pthread_cond_wait(&h->cv, &h->mu);
  h->tx_stop = true;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  if (h->tx_thread) pthread_join(tx_thread_id, NULL);
  h->tx_thread = false;
}

static void hal_set_coupling(void *ctx, uint32_t e, float w) { eqp_sim_xy_set_coupling(&((host_t *)ctx)->sim, e, w); }
static void hal_set_bias(void *ctx, uint16_t i, float hh, float psi) { eqp_sim_xy_set_bias(&((host_t *)ctx)->sim, i, hh, psi); }
static void hal_clamp(void *ctx, uint16_t i, bool on, int16_t raw) { eqp_sim_xy_clamp(&((host_t *)ctx)->sim, i, on, raw); }
static bool hal_start(void *ctx, const eqp_relax_job_t *j)
{
  /* what is queued keeps leaving from the transmit thread while the sample relaxes */
  trace_ev("start", j->sample, j->phase);
  return eqp_sim_xy_start_relax(&((host_t *)ctx)->sim, j);
}
static bool hal_poll(void *ctx, eqp_relax_result_t *r)
{
  bool done = eqp_sim_xy_poll_relax(&((host_t *)ctx)->sim, r);
  if (done) trace_ev("done", r->steps, 0);
  return done;
}
static int16_t hal_read(void *ctx, uint16_t i) { return eqp_sim_xy_read_state(&((host_t *)ctx)->sim, i); }
static void hal_abort(void *ctx) { eqp_sim_xy_abort_relax(&((host_t *)ctx)->sim); }
static void hal_safe(void *ctx) { eqp_sim_xy_safe_state(&((host_t *)ctx)->sim); }
static void hal_watchdog_tick(void *ctx) { (void)ctx; }

static const eqp_hal_t hal = {
  &host, hal_now_ms, hal_uart_write, hal_set_coupling, hal_set_bias, hal_clamp, hal_start, hal_poll, hal_read, hal_abort, hal_safe,
  hal_watchdog_tick,
};

/* ---- setup ----------------------------------------------------------------------------------- */

static void die(const char *what)
{
  fprintf(stderr, "eqp-board: %s\n", what);
  exit(2);
}

static void read_list(FILE *f, uint16_t *out, uint16_t *count)
{
  int c;
  unsigned v;
  *count = 0;
  for (;;) {
    while ((c = fgetc(f)) == ' ' || c == '\t') {}
    if (c == '\n' || c == EOF) return;
    ungetc(c, f);
    if (fscanf(f, "%u", &v) != 1) die("topology: bad node list");
    if (*count >= EQP_BOARD_MAX_NODES) die("topology: node list too long");
    out[(*count)++] = (uint16_t)v;
  }
}

static void read_topology(const char *path)
{
  FILE *f = fopen(path, "r");
  char word[32];
  unsigned n = 0, m = 0, k, a, b;
  uint16_t nc = 0, nn = 0;
  if (!f) die("cannot open the topology file");
  while (fscanf(f, "%31s", word) == 1) {
    if (word[0] == '#') { int c; while ((c = fgetc(f)) != '\n' && c != EOF) {} continue; }
    if (strcmp(word, "nodes") == 0) { if (fscanf(f, "%u", &n) != 1) die("topology: bad nodes"); }
    else if (strcmp(word, "clampable") == 0) read_list(f, clampable, &nc);
    else if (strcmp(word, "nudgeable") == 0) read_list(f, nudgeable, &nn);
    else if (strcmp(word, "edges") == 0) {
      if (fscanf(f, "%u", &m) != 1 || m > EQP_BOARD_MAX_EDGES) die("topology: bad edge count");
      for (k = 0; k < m; k++) {
        if (fscanf(f, "%u %u", &a, &b) != 2) die("topology: bad edge");
        edges[k].a = (uint16_t)a;
        edges[k].b = (uint16_t)b;
      }
    } else die("topology: unknown keyword");
  }
  fclose(f);
  cfg.node_count = (uint16_t)n;
  cfg.edge_count = m;
  cfg.clampable_count = nc;
  cfg.nudgeable_count = nn;
}

static eqp_range_t parse_range(const char *s)
{
  eqp_range_t r;
  double mn, mx;
  unsigned lv;
  if (sscanf(s, "%lf,%lf,%u", &mn, &mx, &lv) != 3 || !(mn < mx)) die("a range is MIN,MAX,LEVELS with MIN < MAX");
  r.min = (float)mn;
  r.max = (float)mx;
  r.levels = lv;
  return r;
}

/* the boot counter lives in "non-volatile memory": a file, incremented at every boot */
static uint32_t next_boot(const char *file)
{
  unsigned v = 0;
  FILE *f;
  if (!file) return 1;
  f = fopen(file, "r");
  if (f) { if (fscanf(f, "%u", &v) != 1) v = 0; fclose(f); }
  v++;
  f = fopen(file, "w");
  if (f) { fprintf(f, "%u\n", v); fclose(f); }
  return v;
}

static void on_signal(int sig)
{
  if (sig == SIGUSR1) reboot_requested = 1;
  else stop_requested = 1;
}

static void try_open(host_t *h)
{
  struct termios t;
  int fd = open(h->path, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  pthread_mutex_lock(&h->mu);
  h->fd = fd;
  pthread_mutex_unlock(&h->mu);
  eqp_board_link_reset(&board);
  printf("eqp-board: link up on %s\n", h->path);
  fflush(stdout);
}

int main(int argc, char **argv)
{
  const char *topology = NULL, *boot_file = NULL, *uid = "ref-fw-xy";
  double baud = 0.0;
  int pace = 0, i;
  const char *err;
  double tol = 0.0;
  struct sigaction sa;
  double last_open_try = 0.0;

  if (argc == 4 && strcmp(argv[1], "--print-rng") == 0) {
    eqp_rng_t r;
    long k, n = atol(argv[3]);
    eqp_rng_seed(&r, (uint32_t)strtoul(argv[2], NULL, 10));
    for (k = 0; k < n; k++) printf("%.17g\n", eqp_rng_uniform(&r, -M_PI, M_PI));
    return 0;
  }

  if (argc == 2 && strcmp(argv[1], "--print-sincos") == 0) {
    /* all phases in one call, as a relaxation makes it: the vector loop, not only its tail */
    static double x[65536], c[65536], sn[65536];
    char line[64];
    unsigned n = 0, k;
    while (n < 65536u && fgets(line, sizeof line, stdin)) x[n++] = strtod(line, NULL);
    eqp_sim_xy_sincos(x, n, c, sn);
    for (k = 0; k < n; k++) printf("%.17g %.17g\n", c[k], sn[k]);
    return 0;
  }

  memset(&cfg, 0, sizeof cfg);
  cfg.model = EQP_MODEL_XY;
  cfg.coupling.min = -8.0f; cfg.coupling.max = 8.0f; cfg.coupling.levels = 0;
  cfg.bias = cfg.coupling;
  cfg.state_lsb = 1.0f / 8192.0f;
  cfg.max_batch = EQP_BOARD_MAX_BATCH;
  cfg.max_frame = EQP_MAX_FRAME;
  cfg.capabilities = EQP_CAPABILITY_FORCE_VECTOR | EQP_CAPABILITY_GIVEN_START | EQP_CAPABILITY_BIAS | EQP_CAPABILITY_READOUT_START;
  cfg.costs = EQP_COSTS_LOG_COS;
  cfg.wire_major = EQP_PROTO_MAJOR;
  cfg.firmware = FIRMWARE_VERSION;
  host.fd = -1;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--pace") == 0) { pace = 1; continue; }
    if (strcmp(a, "--learn") == 0) { cfg.capabilities |= EQP_CAPABILITY_ON_BOARD_LEARNING; continue; }
    if (!v) die("every option but --pace and --learn takes a value");
    i++;
    if (strcmp(a, "--path") == 0) host.path = v;
    else if (strcmp(a, "--topology") == 0) topology = v;
    else if (strcmp(a, "--uid") == 0) uid = v;
    else if (strcmp(a, "--boot-file") == 0) boot_file = v;
    else if (strcmp(a, "--max-batch") == 0) cfg.max_batch = (uint16_t)atoi(v);
    else if (strcmp(a, "--max-frame") == 0) cfg.max_frame = (uint16_t)atoi(v);
    else if (strcmp(a, "--coupling") == 0) cfg.coupling = parse_range(v);
    else if (strcmp(a, "--bias") == 0) cfg.bias = parse_range(v);
    else if (strcmp(a, "--baud") == 0) baud = atof(v);
    else if (strcmp(a, "--major") == 0) cfg.wire_major = (uint8_t)atoi(v);
    else if (strcmp(a, "--tol") == 0) tol = atof(v);
    else if (strcmp(a, "--max-steps-limit") == 0) cfg.max_steps_limit = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--default-budget-us") == 0) cfg.default_budget_us = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--budget-limit-us") == 0) cfg.budget_limit_us = (uint32_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--window") == 0) cfg.window = (uint8_t)strtoul(v, NULL, 10);
    else die("unknown option (see the comment at the top of host/main.c)");
  }
  if (!host.path || !topology) die("--path and --topology are required");
  if (getenv("EQP_BOARD_TRACE")) trace = fopen(getenv("EQP_BOARD_TRACE"), "w");
  read_topology(topology);
  cfg.edges = edges;
  cfg.clampable = clampable;
  cfg.nudgeable = nudgeable;
  cfg.uid = uid;
  if ((err = eqp_board_check_config(&cfg)) != NULL) die(err);
  host.pace_bytes_per_s = pace && baud > 0.0 ? baud / 10.0 : 0.0;
  pthread_mutex_init(&host.mu, NULL);
  tx_start(&host);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  eqp_sim_xy_init(&host.sim, &cfg);
  if (tol > 0.0) host.sim.tol = tol;
  host.sim.now_ms = hal_now_ms;
  host.sim.clock_ctx = &host;
  try_open(&host);
  eqp_board_init(&board, &cfg, &hal, next_boot(boot_file));
  printf("eqp-board: ready uid=%s boot=%u nodes=%u edges=%u\n", uid, (unsigned)board.boot_counter, cfg.node_count, (unsigned)cfg.edge_count);
  fflush(stdout);

  while (!stop_requested) {
    uint8_t buf[4096];
    if (reboot_requested) {
      reboot_requested = 0;
      eqp_board_reboot(&board, next_boot(boot_file) + (boot_file ? 0u : board.boot_counter));
      printf("eqp-board: rebooted, boot=%u\n", (unsigned)board.boot_counter);
      fflush(stdout);
    }
    if (host.fd < 0) {
      double t = mono_s();
      if (t - last_open_try > 0.02) { last_open_try = t; try_open(&host); }
      if (host.fd < 0) { eqp_board_poll(&board); sleep_s(0.005); continue; }
    }
    {
      struct pollfd pf = {host.fd, POLLIN, 0};
      /* idle, the loop wakes for the board's timers (heartbeats, the watchdog: tens of ms or more)
       * and for incoming bytes (paced writes leave from the transmit thread); busy, it only looks */
      int timeout = board.state == EQP_BOARD_STATE_BUSY ? 0 : 10, rc;
      rc = poll(&pf, 1, timeout);
      if (rc > 0 && (pf.revents & POLLIN)) {
        ssize_t n = read(host.fd, buf, sizeof buf);
        if (n > 0) { trace_ev("rx", (double)n, 0); eqp_board_rx(&board, buf, (size_t)n); }
        else if (n == 0 || (errno != EAGAIN && errno != EINTR)) link_down_now(&host);
      } else if (rc > 0 && (pf.revents & (POLLHUP | POLLERR | POLLNVAL))) {
        link_down_now(&host);
      }
    }
    eqp_board_poll(&board);
  }
  tx_stop(&host);
  link_down_now(&host);
  return 0;
}
