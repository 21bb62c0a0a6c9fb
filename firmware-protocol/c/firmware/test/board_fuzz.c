/* Fuzz of the reference firmware (build with ASan + UBSan: any memory error or undefined behaviour
 * aborts). Feeds the board library, with the simulated XY hardware behind it, a mix of well-formed
 * commands with random field values, commands with random payloads (valid CRC, so they reach the
 * decoders and the command handlers), mutated frames and random bytes, while fake time runs on
 * (watchdog trips, heartbeats, relaxations). Checks that every frame the board sends decodes as a
 * valid board-to-host message, that every command the board could read was answered, and that its
 * state stays one of the documented ones.
 * Usage: board-fuzz [iterations] [seed] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../eqp_cobs.h"
#include "../../eqp_frame.h"
#include "../eqp_board.h"
#include "../sim/eqp_sim_xy.h"

static uint32_t rng = 1;
static uint32_t next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static uint32_t below(uint32_t n) { return n == 0 ? 0 : next() % n; }

static eqp_sim_xy_t sim;
static eqp_board_t board;
static uint32_t fake_ms = 1000;
static int failed;
static unsigned long out_frames, out_bad;

/* the host side of the wire: decodes what the board sends */
static uint8_t host_rx_buf[EQP_COBS_MAX_ENCODED(EQP_MAX_FRAME)];
static eqp_cobs_rx_t host_rx;
static eqp_body_t host_body;

static uint32_t hal_now(void *c) { (void)c; return fake_ms; }
static void hal_write(void *c, const uint8_t *p, size_t n)
{
  size_t i;
  (void)c;
  for (i = 0; i < n; i++) {
    size_t len = eqp_cobs_rx_push(&host_rx, p[i]);
    if (len) {
      eqp_frame_t f;
      uint32_t detail;
      out_frames++;
      if (eqp_message_decode(host_rx_buf, len, EQP_MAX_FRAME, EQP_ROLE_HOST, &f, &host_body, &detail) != EQP_OK) {
        out_bad++;
        failed = 1;
        printf("FAIL: the board sent a frame that does not decode (id 0x%02x)\n", (unsigned)f.msg_id);
      }
    }
  }
}
static void hal_set_coupling(void *c, uint32_t e, float w) { (void)c; eqp_sim_xy_set_coupling(&sim, e, w); }
static void hal_set_bias(void *c, uint16_t i, float h, float psi) { (void)c; eqp_sim_xy_set_bias(&sim, i, h, psi); }
static void hal_clamp(void *c, uint16_t i, bool on, int16_t raw) { (void)c; eqp_sim_xy_clamp(&sim, i, on, raw); }
static bool hal_start(void *c, const eqp_relax_job_t *j) { (void)c; return eqp_sim_xy_start_relax(&sim, j); }
static bool hal_poll(void *c, eqp_relax_result_t *r) { (void)c; return eqp_sim_xy_poll_relax(&sim, r); }
static int16_t hal_read(void *c, uint16_t i) { (void)c; return eqp_sim_xy_read_state(&sim, i); }
static void hal_abort(void *c) { (void)c; eqp_sim_xy_abort_relax(&sim); }
static void hal_safe(void *c) { (void)c; eqp_sim_xy_safe_state(&sim); }
static void hal_tick(void *c) { (void)c; }

static const eqp_hal_t hal = {NULL, hal_now, hal_write, hal_set_coupling, hal_set_bias, hal_clamp, hal_start, hal_poll, hal_read, hal_abort, hal_safe, hal_tick};

/* a 6-node all-to-all board, 2 clampable, 1 nudgeable */
static eqp_edge_t edges[15];
static const uint16_t clampable[2] = {0, 1}, nudgeable[1] = {5};
static eqp_board_config_t cfg;

static uint8_t frame[EQP_MAX_FRAME], serial[EQP_COBS_MAX_ENCODED(EQP_MAX_FRAME) + 1];

static void feed(const uint8_t *p, size_t n)
{
  /* in random chunks, as a UART driver would hand them over */
  size_t at = 0;
  while (at < n) {
    size_t k = 1 + below((uint32_t)(n - at));
    eqp_board_rx(&board, p + at, k);
    at += k;
  }
}

static void send_frame(size_t len, int mutate)
{
  size_t n = 0, k;
  if (eqp_cobs_encode(frame, len, serial, sizeof serial - 1, &n) != EQP_OK) return;
  serial[n++] = 0;
  if (mutate)
    for (k = 1 + below(3); k > 0; k--) serial[below((uint32_t)n)] ^= (uint8_t)(1u << below(8));
  feed(serial, n);
}

static const uint8_t COMMANDS[] = {EQP_MSG_HELLO, EQP_MSG_GET_EDGES, EQP_MSG_GET_NODE_LIST, EQP_MSG_SET_PARAMS, EQP_MSG_UPDATE_PARAMS,
                                   EQP_MSG_GET_PARAMS, EQP_MSG_CLAMP, EQP_MSG_SET_TARGETS, EQP_MSG_SET_FORCE, EQP_MSG_SET_START,
                                   EQP_MSG_RELAX, EQP_MSG_GET_STATE, EQP_MSG_STOP, EQP_MSG_HEARTBEAT,
                                   EQP_MSG_LEARN_CONFIG, EQP_MSG_LEARN_FREE, EQP_MSG_LEARN_NUDGED, EQP_MSG_LEARN_COMMIT,
                                   EQP_MSG_LEARN_DISCARD};

/* a well-formed command with random (often out-of-range) field values */
static size_t gen_command(uint16_t seq)
{
  eqp_body_t b;
  uint8_t id = COMMANDS[below(sizeof COMMANDS)];
  size_t len = 0, k;
  memset(&b, 0, sizeof b);
  switch (id) {
  case EQP_MSG_HELLO: b.hello.max_frame = (uint16_t)(200 + below(2000)); b.hello.watchdog_ms = below(3) ? 0 : below(5000); break;
  case EQP_MSG_GET_EDGES: b.get_edges.offset = below(20); b.get_edges.count = (uint16_t)below(20); break;
  case EQP_MSG_GET_NODE_LIST: b.get_node_list.list = (uint8_t)below(2); b.get_node_list.offset = (uint16_t)below(4); b.get_node_list.count = (uint16_t)below(4); break;
  case EQP_MSG_SET_PARAMS:
  case EQP_MSG_UPDATE_PARAMS:
    b.set_params.offset = below(30);
    b.set_params.values_count = (uint16_t)below(30);
    for (k = 0; k < b.set_params.values_count; k++) b.set_params.values[k] = (float)((int)below(2000) - 1000) / 500.0f;
    if (below(10) == 0 && b.set_params.values_count) b.set_params.values[0] = 1.0f / 0.0f;
    break;
  case EQP_MSG_GET_PARAMS: b.get_params.offset = below(30); b.get_params.count = (uint16_t)below(40); break;
  case EQP_MSG_CLAMP:
    b.clamp.sample = (uint16_t)below(20);
    b.clamp.replace = below(2) != 0;
    b.clamp.clamps_count = (uint16_t)below(4);
    for (k = 0; k < b.clamp.clamps_count; k++) { b.clamp.clamps[k].node = (uint16_t)below(7); b.clamp.clamps[k].value = (int16_t)next(); }
    break;
  case EQP_MSG_SET_TARGETS:
  case EQP_MSG_SET_START:
    b.set_targets.sample = (uint16_t)below(20);
    b.set_targets.offset = (uint16_t)below(7);
    b.set_targets.values_count = (uint16_t)below(7);
    for (k = 0; k < b.set_targets.values_count; k++) b.set_targets.values[k] = (int16_t)next();
    break;
  case EQP_MSG_SET_FORCE:
    b.set_force.sample = (uint16_t)below(20);
    b.set_force.offset = (uint16_t)below(7);
    b.set_force.values_count = (uint16_t)below(7);
    for (k = 0; k < b.set_force.values_count; k++) b.set_force.values[k] = (float)((int)below(200) - 100) / 100.0f;
    break;
  case EQP_MSG_RELAX:
    b.relax.batch = (uint16_t)below(20);
    b.relax.phase = (uint8_t)below(2);
    b.relax.nudge = (uint8_t)below(2);
    b.relax.cost = (uint8_t)below(3);
    b.relax.start = (uint8_t)below(3);
    b.relax.beta = (float)below(100) / 100.0f;
    b.relax.seed = next();
    b.relax.max_steps = below(3) ? 0 : below(4) ? below(500) : next();
    b.relax.budget_us = below(2) ? 0 : below(4) ? next() : below(5000000);
    break;
  case EQP_MSG_LEARN_CONFIG:
    b.learn_config.eta = below(8) ? (float)below(100) / 100.0f : -1.0f;
    b.learn_config.bias_eta = below(3) ? (float)below(100) / 100.0f : 0.0f;
    b.learn_config.beta = (float)((int)below(100) - 20) / 100.0f;
    b.learn_config.cost = (uint8_t)below(3);
    break;
  case EQP_MSG_LEARN_FREE:
    b.learn_free.batch = (uint16_t)below(6);
    b.learn_free.seed = next();
    b.learn_free.max_steps = below(3) ? 0 : below(500);
    b.learn_free.budget_us = below(2) ? 0 : below(5000000);
    b.learn_free.samples_count = (uint16_t)(below(6) ? 3u * b.learn_free.batch : below(20));
    for (k = 0; k < b.learn_free.samples_count; k++) b.learn_free.samples[k] = (int16_t)next();
    break;
  case EQP_MSG_LEARN_NUDGED:
    b.learn_nudged.batch = (uint16_t)below(6);
    b.learn_nudged.max_steps = below(3) ? 0 : below(500);
    b.learn_nudged.budget_us = below(2) ? 0 : below(5000000);
    break;
  case EQP_MSG_GET_STATE: b.get_state.sample = (uint16_t)below(20); b.get_state.kind = (uint8_t)below(2); b.get_state.offset = below(8); b.get_state.count = (uint16_t)below(8); break;
  default: break;
  }
  if (eqp_message_encode(frame, sizeof frame, seq, id, &b, &len) != EQP_OK) return 0;
  return len;
}

/* a frame with a valid CRC around a random id and random payload bytes */
static size_t gen_random_payload(uint16_t seq)
{
  size_t plen = below(60), k, len = 0;
  uint8_t payload[64];
  for (k = 0; k < plen; k++) payload[k] = (uint8_t)next();
  if (eqp_frame_encode(frame, sizeof frame, seq, below(4) ? COMMANDS[below(sizeof COMMANDS)] : (uint8_t)next(), 0, payload, plen, &len) != EQP_OK) return 0;
  return len;
}

int main(int argc, char **argv)
{
  unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000, i;
  unsigned k;
  unsigned long answered_before;
  rng = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1;
  if (rng == 0) rng = 1;
  for (k = 0; k < 15; k++) {
    static const uint8_t a[15] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4}, b[15] = {1, 2, 3, 4, 5, 2, 3, 4, 5, 3, 4, 5, 4, 5, 5};
    edges[k].a = a[k];
    edges[k].b = b[k];
  }
  memset(&cfg, 0, sizeof cfg);
  cfg.uid = "fuzz-board";
  cfg.firmware = "fuzz";
  cfg.model = EQP_MODEL_XY;
  cfg.node_count = 6;
  cfg.edge_count = 15;
  cfg.edges = edges;
  cfg.clampable = clampable;
  cfg.clampable_count = 2;
  cfg.nudgeable = nudgeable;
  cfg.nudgeable_count = 1;
  cfg.coupling.min = -2.0f; cfg.coupling.max = 2.0f; cfg.coupling.levels = 9;
  cfg.bias.min = -1.0f; cfg.bias.max = 1.0f; cfg.bias.levels = 0;
  cfg.state_lsb = 1.0f / 8192.0f;
  cfg.max_batch = 4;
  cfg.max_frame = 512;
  cfg.capabilities = EQP_CAPABILITY_FORCE_VECTOR | EQP_CAPABILITY_GIVEN_START | EQP_CAPABILITY_BIAS | EQP_CAPABILITY_ON_BOARD_LEARNING;
  cfg.costs = EQP_COSTS_LOG_COS;
  cfg.wire_major = EQP_PROTO_MAJOR;
  if (eqp_board_check_config(&cfg)) { printf("FAIL: config\n"); return 1; }
  eqp_cobs_rx_init(&host_rx, host_rx_buf, sizeof host_rx_buf, EQP_MAX_FRAME);
  eqp_sim_xy_init(&sim, &cfg);
  /* short slices and the fake clock: relaxations span many polls and meet their budgets, so HELLO,
   * STOP, the watchdog and retries land in the middle of them */
  sim.default_max_evals = 40u;
  sim.now_ms = hal_now;
  eqp_board_init(&board, &cfg, &hal, 1);

  for (i = 0; i < iters; i++) {
    uint16_t seq = (uint16_t)next();
    size_t len;
    switch (below(10)) {
    case 0: { /* random bytes */
      uint8_t junk[80];
      size_t n = below(80);
      for (k = 0; k < n; k++) junk[k] = (uint8_t)next();
      feed(junk, n);
      break;
    }
    case 1: if ((len = gen_random_payload(seq)) > 0) send_frame(len, 0); break;
    case 2: if ((len = gen_command(seq)) > 0) send_frame(len, 1); break;
    default:
      if ((len = gen_command(seq)) > 0) {
        static const uint8_t flush = 0; /* ends any junk before it (SPEC 2.2 allows a leading 0x00) */
        feed(&flush, 1);
        answered_before = out_frames;
        send_frame(len, 0);
        /* a readable command is answered at once, unless it starts a relaxation or the board is busy */
        if (out_frames == answered_before && frame[5] != EQP_MSG_HEARTBEAT && frame[5] != EQP_MSG_RELAX &&
            frame[5] != EQP_MSG_LEARN_FREE && frame[5] != EQP_MSG_LEARN_NUDGED &&
            board.state != EQP_BOARD_STATE_BUSY) {
          printf("FAIL iteration %lu: command 0x%02x got no answer\n", i, (unsigned)frame[5]);
          failed = 1;
        }
      }
    }
    fake_ms += below(4) == 0 ? below(800) : below(5);
    eqp_board_poll(&board);
    if (board.state > EQP_BOARD_STATE_SAFE) { printf("FAIL: board state %u\n", (unsigned)board.state); failed = 1; }
    if (failed) break;
  }
  printf("board-fuzz: %lu iterations, %lu frames out, %lu undecodable, %u commands, %u relaxations, %u watchdog trips, rx_bad %u\n", i, out_frames,
         out_bad, (unsigned)board.stats.commands, (unsigned)board.stats.relaxations, (unsigned)board.stats.watchdog_trips, (unsigned)board.stats.rx_bad);
  return failed;
}
