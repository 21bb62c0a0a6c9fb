/* A simulated XY oscillator network behind the HAL: what the host build of the reference firmware
 * relaxes instead of real oscillators. Its physics and solver are a line-by-line port of the host's
 * src/core (physics/xy.ts, physics/xy-system.ts, physics/sincos.ts, solvers/rk45.ts with the Newton
 * polish of solvers/newton.ts and solvers/band.ts, rng/rng.ts), in double precision, so the firmware
 * reaches the same equilibria as the TypeScript simulator up to the last bits of the libm functions
 * (cos, sin, tan, pow) that the two runtimes implement differently. */
#ifndef EQP_SIM_XY_H
#define EQP_SIM_XY_H

#include <stdbool.h>
#include <stdint.h>

#include "../eqp_board.h"
#include "../eqp_hal.h"

typedef struct {
  uint16_t n;
  uint32_t m;
  uint16_t ei[EQP_BOARD_MAX_EDGES], ej[EQP_BOARD_MAX_EDGES];
  double w[EQP_BOARD_MAX_EDGES];
  double h[EQP_BOARD_MAX_NODES], psi[EQP_BOARD_MAX_NODES], hx[EQP_BOARD_MAX_NODES], hy[EQP_BOARD_MAX_NODES];
  bool has_bias;
  uint16_t outputs[EQP_BOARD_MAX_NODES];
  uint16_t n_out;
  uint8_t clamped[EQP_BOARD_MAX_NODES];
  double clamp_value[EQP_BOARD_MAX_NODES];
  double state_lsb;
  double tol;
  uint32_t default_max_evals;
  /* the landscape of the current sample */
  uint8_t free_[EQP_BOARD_MAX_NODES];
  double beta;
  bool has_tau, has_ext;
  double tau[EQP_BOARD_MAX_NODES], ext[EQP_BOARD_MAX_NODES];
  /* output phases where a frozen-torque (force) relaxation started: slipping past pi = no equilibrium */
  double slip_ref[EQP_BOARD_MAX_NODES];
  /* state and solver scratch */
  double x[EQP_BOARD_MAX_NODES];
  double cs[EQP_BOARD_MAX_NODES], sn[EQP_BOARD_MAX_NODES], row[EQP_BOARD_MAX_NODES];
  double k[7][EQP_BOARD_MAX_NODES];
  double y[EQP_BOARD_MAX_NODES], dx[EQP_BOARD_MAX_NODES];
  uint16_t band;
  double hess[EQP_BOARD_MAX_NODES * EQP_BOARD_MAX_NODES];
  /* the job started last; a relaxation runs in slices of default_max_evals evaluations, one per
   * poll, each continuing from where the last stopped (as the TS board's XyBoardCore does), so the
   * board reads its link between slices */
  bool pending;
  bool running;
  uint32_t evals_done, evals_budget, t0_ms;
  /* the board's clock, for job.budget_us (NULL: no wall-time budget) */
  uint32_t (*now_ms)(void *ctx);
  void *clock_ctx;
  eqp_relax_job_t job;
  int16_t job_start[EQP_BOARD_MAX_NODES];
  int16_t job_target[EQP_BOARD_MAX_NODES];
  float job_force[EQP_BOARD_MAX_NODES];
  /* couplings of the safe state are off: the stored values come back with the next write */
  uint32_t relaxations;
} eqp_sim_xy_t;

/* Sets up the network of a board configuration (couplings and bias 0). */
void eqp_sim_xy_init(eqp_sim_xy_t *s, const eqp_board_config_t *cfg);

/* The substrate half of the HAL (eqp_hal.h has the contracts); the host build wraps them. */
void eqp_sim_xy_set_coupling(eqp_sim_xy_t *s, uint32_t edge, float w);
void eqp_sim_xy_set_bias(eqp_sim_xy_t *s, uint16_t node, float h, float psi);
void eqp_sim_xy_clamp(eqp_sim_xy_t *s, uint16_t node, bool on, int16_t raw);
bool eqp_sim_xy_start_relax(eqp_sim_xy_t *s, const eqp_relax_job_t *job);
bool eqp_sim_xy_poll_relax(eqp_sim_xy_t *s, eqp_relax_result_t *out);
int16_t eqp_sim_xy_read_state(eqp_sim_xy_t *s, uint16_t node);
void eqp_sim_xy_abort_relax(eqp_sim_xy_t *s);
void eqp_sim_xy_safe_state(eqp_sim_xy_t *s);

/* sin and cos of n phases with the host's shared range reduction and Taylor polynomials. */
void eqp_sim_xy_sincos(const double *phi, unsigned n, double *cs, double *sn);

#endif
