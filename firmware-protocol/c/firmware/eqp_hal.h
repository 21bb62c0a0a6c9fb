/* The hardware-abstraction layer of the reference firmware: everything eqp_board.c needs from a
 * board. A lab implements these functions for its microcontroller (DACs or digital potentiometers
 * for couplings, injection amplitude and phase for bias, sample-and-hold for clamps, phase detectors
 * or ADCs for the readout). sim/eqp_sim_xy.c implements them with a simulated XY network.
 *
 * Every function is called from the main loop (eqp_board_poll / eqp_board_rx), never from an
 * interrupt, and must not block for long: relaxation is started, then polled. */
#ifndef EQP_HAL_H
#define EQP_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One sample's relaxation, as eqp_board.c asks for it (clamps were set just before, by clamp()). */
typedef struct {
  uint16_t sample;
  /* EQP_START_RANDOM: the board randomises its state from seed (the reference uses eqp_rng so the
   * host's simulator can reproduce it); otherwise start_raw holds node_count start states */
  uint8_t start;
  uint32_t seed;
  const int16_t *start_raw; /* state_lsb units */
  /* EQP_PHASE_FREE, or EQP_PHASE_NUDGED with nudge = EQP_NUDGE_COST (beta, cost, target_raw in
   * nudgeable order) or EQP_NUDGE_FORCE (force, one f32 per node) */
  uint8_t phase;
  uint8_t nudge;
  uint8_t cost;
  float beta;
  const int16_t *target_raw;
  const float *force;
  uint32_t max_steps;  /* 0 = the board's default; already clamped to the board's limit */
  uint32_t budget_us;  /* wall time left for the batch, 0 = no limit: poll_relax ends the sample unsettled once it is spent */
  bool expired;        /* the batch budget is spent: do not relax, report the start state unsettled */
} eqp_relax_job_t;

typedef struct {
  bool settled;
  uint32_t steps; /* solver steps or board time steps, 0 if not counted */
  float energy;   /* internal energy at the equilibrium, NAN if it cannot be measured */
} eqp_relax_result_t;

typedef struct {
  void *ctx;
  /* a millisecond tick (wraps at 2^32) */
  uint32_t (*now_ms)(void *ctx);
  /* queue bytes for the UART / USB CDC; may block until they are taken */
  void (*uart_write)(void *ctx, const uint8_t *bytes, size_t n);
  /* set coupling element `edge` (edge-list order) to w, already clipped and quantised */
  void (*set_coupling)(void *ctx, uint32_t edge, float w);
  /* set the bias of a node: strength h, direction psi (rad) */
  void (*set_bias)(void *ctx, uint16_t node, float h, float psi);
  /* hold node at raw (state_lsb units), or release it */
  void (*clamp)(void *ctx, uint16_t node, bool on, int16_t raw);
  /* start relaxing one sample; false on a hardware error (answered NACK INTERNAL) */
  bool (*start_relax)(void *ctx, const eqp_relax_job_t *job);
  /* true once the relaxation started last has finished, with its result. Each call must return
   * within a few milliseconds (relax in slices), so that the board keeps reading its link and a
   * HELLO or STOP can abort a relaxation that would not settle */
  bool (*poll_relax)(void *ctx, eqp_relax_result_t *out);
  /* the settled state of a node, state_lsb units (phases wrapped to (-pi, pi] first) */
  int16_t (*read_state)(void *ctx, uint16_t node);
  /* stop a relaxation at once */
  void (*abort_relax)(void *ctx);
  /* the safe state: couplings to zero and drivers off, bias off, clamps released (SPEC 7.2) */
  void (*safe_state)(void *ctx);
  /* kick the microcontroller's hardware watchdog (called on every poll) */
  void (*watchdog_tick)(void *ctx);
} eqp_hal_t;

#endif
