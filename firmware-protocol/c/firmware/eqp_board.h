/* The board side of the eqprop wire protocol (SPEC.md), as a portable C99 library: receive checks,
 * reply cache (idempotent retries), the session state machine (boot, ready, busy, safe), parameter
 * store with clip and quantise, per-sample clamps/targets/forces/starts, batch relaxation through the
 * HAL one sample at a time, heartbeats, the host-silence watchdog and the safe state.
 *
 * No malloc: one eqp_board_t holds every buffer, sized by the macros below. Single-threaded: call
 * eqp_board_rx() with received bytes and eqp_board_poll() often (every millisecond or so) from the
 * main loop; everything the board sends goes out through hal->uart_write. */
#ifndef EQP_BOARD_H
#define EQP_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../eqp_cobs.h"
#include "../messages_gen.h"
#include "eqp_hal.h"

#ifndef EQP_BOARD_MAX_NODES
#define EQP_BOARD_MAX_NODES 256u
#endif
#ifndef EQP_BOARD_MAX_EDGES
#define EQP_BOARD_MAX_EDGES 1024u
#endif
#ifndef EQP_BOARD_MAX_BATCH
#define EQP_BOARD_MAX_BATCH 16u
#endif
/* RELAX budgets (SPEC 6.5): budgetUs = 0 means the default; both are clamped to the limits */
#ifndef EQP_BOARD_DEFAULT_BUDGET_US
#define EQP_BOARD_DEFAULT_BUDGET_US 60000000u
#endif
#ifndef EQP_BOARD_BUDGET_LIMIT_US
#define EQP_BOARD_BUDGET_LIMIT_US 60000000u
#endif
#ifndef EQP_BOARD_MAX_STEPS_LIMIT
#define EQP_BOARD_MAX_STEPS_LIMIT 10000000u
#endif
/* pipelining (SPEC 5.3): commands a host may keep outstanding; the board caches that many replies and
 * queues that many commands minus one behind a running RELAX (2 x 8 frames of RAM). Protocol 1.1 asks
 * for at least 4. */
#ifndef EQP_BOARD_MAX_WINDOW
#define EQP_BOARD_MAX_WINDOW 8u
#endif
#if EQP_BOARD_MAX_WINDOW < 4 || EQP_BOARD_MAX_WINDOW > 255
#error "EQP_BOARD_MAX_WINDOW must be 4..255 (SPEC 5.3)"
#endif
#define EQP_BOARD_MAX_PARAMS (EQP_BOARD_MAX_EDGES + 2u * EQP_BOARD_MAX_NODES)

/* What the board is: fixed at build or boot time. */
typedef struct {
  const char *uid;      /* [A-Za-z0-9._-], 1..32 */
  const char *firmware; /* printable ASCII, at most 32 */
  uint8_t model;        /* EQP_MODEL_* */
  uint16_t node_count;
  uint32_t edge_count;
  const eqp_edge_t *edges;
  const uint16_t *clampable;
  uint16_t clampable_count;
  const uint16_t *nudgeable;
  uint16_t nudgeable_count;
  eqp_range_t coupling;
  eqp_range_t bias;
  float state_lsb;        /* 2^-13 rad for phase boards */
  uint16_t max_batch;     /* <= EQP_BOARD_MAX_BATCH */
  uint16_t max_frame;     /* the board's frame limit, 256..EQP_MAX_FRAME */
  uint16_t capabilities;  /* EQP_CAPABILITY_* */
  uint8_t costs;          /* EQP_COSTS_* */
  /* EQP_PROTO_MAJOR; any other value makes a firmware that speaks that major (for tests of the
   * host's version check): it answers every frame with NACK UNSUPPORTED_MAJOR in its own major */
  uint8_t wire_major;
  /* RELAX budgets; 0 = the EQP_BOARD_* macro */
  uint32_t default_budget_us, budget_limit_us, max_steps_limit;
  /* the board's pipelining window, 1..EQP_BOARD_MAX_WINDOW; 0 = EQP_BOARD_MAX_WINDOW */
  uint8_t window;
} eqp_board_config_t;

/* One cached command and its reply (SPEC 5.4); done = false while it executes (a RELAX). */
typedef struct {
  bool valid;
  bool done;
  uint16_t seq;
  uint8_t id;
  uint32_t crc;
  size_t len;
  uint8_t reply[EQP_MAX_FRAME];
} eqp_cache_entry_t;

/* A command accepted while a RELAX runs, kept as its inner frame until its turn (SPEC 5.3). */
typedef struct {
  size_t len;
  uint8_t frame[EQP_MAX_FRAME];
} eqp_queued_t;

/* Counters since boot (rx_bad is what HEARTBEAT reports). */
typedef struct {
  uint32_t frames_in, frames_out, rx_bad, commands, replays, nacks, relaxations, watchdog_trips;
} eqp_board_stats_t;

typedef struct {
  const eqp_board_config_t *cfg;
  const eqp_hal_t *hal;
  eqp_board_stats_t stats;
  uint8_t state; /* EQP_BOARD_STATE_* */
  uint32_t boot_counter;
  uint32_t boot_ms;
  uint16_t session_max_frame;
  uint32_t watchdog_ms;
  bool armed;
  bool reset_pending;
  uint32_t last_valid_rx_ms;
  uint32_t last_tx_ms;
  uint16_t event_seq;

  eqp_cobs_rx_t rx;
  uint8_t rx_buf[EQP_COBS_MAX_ENCODED(EQP_MAX_FRAME)];
  uint8_t tx_frame[EQP_MAX_FRAME];
  uint8_t tx_serial[EQP_COBS_MAX_ENCODED(EQP_MAX_FRAME) + 1u];
  eqp_body_t body;

  /* reply cache (SPEC 5.4): the last `window` commands, a ring over the first `window` slots */
  eqp_cache_entry_t cache[EQP_BOARD_MAX_WINDOW];
  uint8_t cache_next;

  /* pipelining (SPEC 5.3): the session's window, the seq the next new command must carry, and the
   * commands waiting behind the running RELAX (a ring) */
  uint8_t window;
  uint16_t expect_seq;
  eqp_queued_t queue[EQP_BOARD_MAX_WINDOW];
  uint8_t queue_head;
  uint8_t queue_len;

  /* parameters as applied: couplings, then h, then psi (SPEC 6.3) */
  float params[EQP_BOARD_MAX_PARAMS];

  /* per-sample data (SPEC 6.4) */
  uint8_t clamped[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  int16_t clamp_raw[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  int16_t target_raw[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  float force[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  int16_t start_raw[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  int16_t result[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  bool has_result[EQP_BOARD_MAX_BATCH];
  /* start = readout (SPEC 6.5): each sample's last free equilibrium as reported, as a host's SET_START of it would be */
  int16_t readout_raw[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  bool has_readout[EQP_BOARD_MAX_BATCH];
  bool settled[EQP_BOARD_MAX_BATCH];
  uint32_t steps[EQP_BOARD_MAX_BATCH];
  float energy[EQP_BOARD_MAX_BATCH];
  uint16_t last_batch;

  /* on-board learning (SPEC 13): the rule of the session, each sample's LEARN_FREE equilibrium, and
   * the update accumulated since the last commit (sum over samples of dE/dtheta(nudged) - dE/dtheta(free)) */
  bool learn_configured;
  float learn_eta, learn_bias_eta, learn_beta;
  uint8_t learn_cost;
  int16_t free_raw[EQP_BOARD_MAX_BATCH][EQP_BOARD_MAX_NODES];
  bool has_free[EQP_BOARD_MAX_BATCH];
  float learn_acc[EQP_BOARD_MAX_PARAMS];
  uint32_t learn_samples;

  /* the relaxation in progress; relax_learn: 0 = RELAX, 1 = LEARN_FREE, 2 = LEARN_NUDGED */
  uint8_t relax_learn;
  eqp_relax_body_t relax;
  uint16_t relax_sample;
  bool sample_running;
  uint32_t relax_t0_ms;
  uint16_t relax_settled;
  uint16_t relax_seq;
  uint8_t relax_id;
  uint32_t relax_crc;
} eqp_board_t;

/* Checks the configuration against the build limits; returns NULL or what is wrong. */
const char *eqp_board_check_config(const eqp_board_config_t *cfg);

/* Boots the board: parameters zero, state boot, FAULT RESET sent on the first poll. */
void eqp_board_init(eqp_board_t *b, const eqp_board_config_t *cfg, const eqp_hal_t *hal, uint32_t boot_counter);

/* Feeds received bytes (any chunking). */
void eqp_board_rx(eqp_board_t *b, const uint8_t *bytes, size_t n);

/* Timers (watchdog, heartbeats) and relaxation progress; call often. */
void eqp_board_poll(eqp_board_t *b);

/* A soft reboot with a new boot counter (a reset without power loss of the store, for tests). */
void eqp_board_reboot(eqp_board_t *b, uint32_t boot_counter);

/* The board wants the link for a frame only when a link exists; after the link comes back call this
 * to drop any half-received frame. */
void eqp_board_link_reset(eqp_board_t *b);

#endif
