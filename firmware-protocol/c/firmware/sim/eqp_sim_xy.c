/* Port of the host's XY physics and flow-newton solver; see eqp_sim_xy.h. Build with
 * -ffp-contract=off: a fused multiply-add would round differently from the TypeScript original. */
#include "eqp_sim_xy.h"

#include <math.h>
#include <string.h>

#include "../eqp_rng.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- sincos.ts ---------------------------------------------------------------------------- */

static const double S3 = -1.0 / 6.0, S5 = 1.0 / 120.0, S7 = -1.0 / 5040.0, S9 = 1.0 / 362880.0, S11 = -1.0 / 39916800.0;
static const double S13 = 1.0 / 6227020800.0, S15 = -1.0 / 1307674368000.0, S17 = 1.0 / 355687428096000.0;
static const double C2 = -1.0 / 2.0, C4 = 1.0 / 24.0, C6 = -1.0 / 720.0, C8 = 1.0 / 40320.0, C10 = -1.0 / 3628800.0;
static const double C12 = 1.0 / 479001600.0, C14 = -1.0 / 87178291200.0, C16 = 1.0 / 20922789888000.0;
static const double C18 = -1.0 / 6402373705728000.0;
static const double PIO2_LO = 6.123233995736766e-17;
static const double LIMIT = 1e5;

/* Math.round of ECMAScript: nearest, halves towards +infinity. The ceiling comes from a truncating
 * conversion (one instruction on every FPU; ceil() is a library call on a baseline x86-64 build and
 * took a quarter of the board's relaxation time), exact below 2^52, where every double is whole */
static double js_round(double x)
{
  double r;
  if (!(x < 4503599627370496.0 && x > -4503599627370496.0)) return x;
  r = (double)(int64_t)x;
  if (r < x) r += 1.0;
  if (r - 0.5 > x) r -= 1.0;
  return r;
}

/* 1.5 * 2^52: (v + ROUNDER) - ROUNDER is v rounded to an integer (to even) for |v| < 2^51 */
static const double ROUNDER = 6755399441055744.0;

void eqp_sim_xy_sincos(const double *phi, unsigned n, double *cs, double *sn)
{
  const double pio2 = M_PI / 2.0, two_over_pi = 2.0 / M_PI;
  double pio2_hi, pio2_mid;
  uint64_t u;
  unsigned i;
  /* pi/2 with its low 20 mantissa bits cleared, so k * hi is exact for |k| < 2^20 */
  memcpy(&u, &pio2, sizeof u);
  u &= ~((UINT64_C(1) << 20) - 1u);
  memcpy(&pio2_hi, &u, sizeof u);
  pio2_mid = pio2 - pio2_hi;
  /* No branch and no integer conversion in this loop, so the compiler runs it on vector lanes (this
   * pass was 58% of the simulated board's CPU): the rounding, the quadrant and the sign are selects
   * on exact small integers held in doubles, giving the very numbers of js_round and k & 3. Phases
   * out of range get nonsense here and are redone below with the library. */
  for (i = 0; i < n; i++) {
    double x = phi[i], v = x * two_over_pi, t, k, q, f, r, z, s, c, a, b;
    t = (v + ROUNDER) - ROUNDER;
    t = t < v ? t + 1.0 : t;          /* ceil(v) for |v| < 2^51 */
    k = t - 0.5 > v ? t - 1.0 : t;    /* js_round(v): half-way rounds up */
    q = k * 0.25;
    f = (q + ROUNDER) - ROUNDER;
    f = f > q ? f - 1.0 : f;          /* floor(k / 4) */
    q = k - 4.0 * f;                  /* k & 3 */
    r = x - k * pio2_hi - k * pio2_mid - k * PIO2_LO;
    z = r * r;
    s = r + r * z * (S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))))));
    c = 1.0 + z * (C2 + z * (C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))))));
    a = q == 1.0 || q == 3.0 ? s : c;
    b = q == 1.0 || q == 3.0 ? c : s;
    cs[i] = q == 1.0 || q == 2.0 ? -a : a;
    sn[i] = q >= 2.0 ? -b : b;
  }
  for (i = 0; i < n; i++) {
    double x = phi[i];
    if (!(x < LIMIT && x > -LIMIT)) { cs[i] = cos(x); sn[i] = sin(x); }
  }
}

/* ---- xy.ts -------------------------------------------------------------------------------- */

static void refresh_bias(eqp_sim_xy_t *s)
{
  unsigned i;
  bool any = false;
  for (i = 0; i < s->n; i++) {
    if (s->h[i] != 0.0) any = true;
    s->hx[i] = s->h[i] * cos(s->psi[i]);
    s->hy[i] = s->h[i] * sin(s->psi[i]);
  }
  s->has_bias = any;
}

static double xy_energy(eqp_sim_xy_t *s, const double *phi)
{
  double e = 0.0;
  uint32_t k;
  unsigned i;
  eqp_sim_xy_sincos(phi, s->n, s->cs, s->sn);
  for (k = 0; k < s->m; k++) {
    unsigned a = s->ei[k], b = s->ej[k];
    e -= s->w[k] * (s->cs[a] * s->cs[b] + s->sn[a] * s->sn[b]);
  }
  if (s->has_bias)
    for (i = 0; i < s->n; i++) e -= s->hx[i] * s->cs[i] + s->hy[i] * s->sn[i];
  return e;
}

static void xy_energy_grad(eqp_sim_xy_t *s, const double *phi, double *out)
{
  uint32_t k;
  unsigned i;
  eqp_sim_xy_sincos(phi, s->n, s->cs, s->sn);
  if (s->has_bias)
    for (i = 0; i < s->n; i++) out[i] = s->hx[i] * s->sn[i] - s->hy[i] * s->cs[i];
  else
    for (i = 0; i < s->n; i++) out[i] = 0.0;
  for (k = 0; k < s->m; k++) {
    unsigned a = s->ei[k], b = s->ej[k];
    double v = s->w[k] * (s->sn[a] * s->cs[b] - s->cs[a] * s->sn[b]);
    out[a] += v;
    out[b] -= v;
  }
}

/* ---- band.ts ------------------------------------------------------------------------------ */

static void band_add(eqp_sim_xy_t *s, unsigned i, unsigned j, double v)
{
  unsigned w = s->band + 1u;
  if (j > i) { unsigned t = i; i = j; j = t; }
  s->hess[i * w + (j + s->band - i)] += v;
}

static bool band_cholesky(eqp_sim_xy_t *s)
{
  const unsigned n = s->n, b = s->band, w = b + 1u;
  double *a = s->hess;
  unsigned i, j, k;
  for (i = 0; i < n; i++) {
    unsigned j0 = i > b ? i - b : 0u;
    unsigned ri = i * w + b - i; /* a[ri + j] is entry (i, j) */
    for (j = j0; j <= i; j++) {
      unsigned rj = j * w + b - j;
      unsigned k0 = j > b && j - b > j0 ? j - b : j0;
      double sum = a[ri + j];
      for (k = k0; k < j; k++) sum -= a[ri + k] * a[rj + k];
      if (j == i) {
        if (!(sum > 0.0)) return false;
        a[ri + i] = sqrt(sum);
      } else {
        a[ri + j] = sum / a[rj + j];
      }
    }
  }
  return true;
}

static void band_solve(eqp_sim_xy_t *s, double *r)
{
  const unsigned n = s->n, b = s->band, w = b + 1u;
  const double *a = s->hess;
  unsigned i, k;
  for (i = 0; i < n; i++) {
    unsigned ri = i * w + b - i;
    double sum = r[i];
    for (k = i > b ? i - b : 0u; k < i; k++) sum -= a[ri + k] * r[k];
    r[i] = sum / a[ri + i];
  }
  for (i = n; i-- > 0;) {
    double sum = r[i];
    unsigned kmax = i + b < n - 1u ? i + b : n - 1u;
    for (k = i + 1u; k <= kmax; k++) sum -= a[k * w + b - k + i] * r[k];
    r[i] = sum / a[i * w + b - i + i];
  }
}

/* ---- xy-system.ts (with the antipode guard of the log-cos nudge and the slip guard of a frozen torque) */

static double force(eqp_sim_xy_t *s, const double *x, double *f)
{
  const double antipode = -cos(1e-3);
  double mx = 0.0;
  unsigned i, k;
  xy_energy_grad(s, x, f);
  if (s->beta != 0.0 && s->has_tau) {
    for (k = 0; k < s->n_out; k++)
      if (cos(x[s->outputs[k]] - s->tau[k]) < antipode) return INFINITY;
    for (k = 0; k < s->n_out; k++) {
      unsigned o = s->outputs[k];
      f[o] += s->beta * tan(0.5 * (x[o] - s->tau[k]));
    }
  }
  if (s->has_ext)
    for (k = 0; k < s->n_out; k++) {
      double d = x[s->outputs[k]] - s->slip_ref[k];
      if (d > M_PI || d < -M_PI) return INFINITY;
    }
  for (i = 0; i < s->n; i++) {
    double v = s->free_[i] ? -f[i] : 0.0, a;
    if (s->has_ext && s->free_[i]) v += s->ext[i];
    f[i] = v;
    a = v < 0.0 ? -v : v;
    if (a > mx) mx = a;
  }
  return mx == mx ? mx : INFINITY;
}

static double stiffness(eqp_sim_xy_t *s)
{
  double mx = 0.0, v;
  uint32_t k;
  unsigned i;
  for (i = 0; i < s->n; i++) s->row[i] = 0.0;
  for (k = 0; k < s->m; k++) {
    double a = fabs(s->w[k]);
    s->row[s->ei[k]] += a;
    s->row[s->ej[k]] += a;
  }
  for (i = 0; i < s->n; i++)
    if (s->free_[i]) { v = 2.0 * s->row[i] + fabs(s->h[i]); if (v > mx) mx = v; }
  v = mx + fabs(s->beta);
  return v > 1e-3 ? v : 1e-3;
}

static void hessian(eqp_sim_xy_t *s, const double *phi)
{
  const unsigned w = s->band + 1u;
  double beta = s->has_tau ? s->beta : 0.0;
  uint32_t k;
  unsigned i;
  eqp_sim_xy_sincos(phi, s->n, s->cs, s->sn);
  memset(s->hess, 0, (size_t)s->n * w * sizeof s->hess[0]);
  for (k = 0; k < s->m; k++) {
    unsigned a = s->ei[k], b = s->ej[k];
    double c = s->w[k] * (s->cs[a] * s->cs[b] + s->sn[a] * s->sn[b]);
    if (!s->clamped[a]) band_add(s, a, a, c);
    if (!s->clamped[b]) band_add(s, b, b, c);
    if (!s->clamped[a] && !s->clamped[b]) band_add(s, a, b, -c);
  }
  if (s->has_bias)
    for (i = 0; i < s->n; i++)
      if (!s->clamped[i]) band_add(s, i, i, s->hx[i] * s->cs[i] + s->hy[i] * s->sn[i]);
  if (beta != 0.0 && s->has_tau)
    for (k = 0; k < s->n_out; k++) {
      unsigned o = s->outputs[k];
      if (!s->clamped[o]) band_add(s, o, o, beta / (1.0 + cos(phi[o] - s->tau[k])));
    }
  for (i = 0; i < s->n; i++)
    if (s->clamped[i]) band_add(s, i, i, 1.0);
}

/* ---- newton.ts ------------------------------------------------------------------------------ */

static double newton_step(eqp_sim_xy_t *s, double *x, double *f, double *fy, double res, uint32_t *evals)
{
  const unsigned n = s->n;
  double t = 1.0;
  unsigned i, tries;
  hessian(s, x);
  if (!band_cholesky(s)) return -1.0;
  memcpy(s->dx, f, n * sizeof f[0]);
  band_solve(s, s->dx);
  for (tries = 0; tries < 4u; tries++, t *= 0.5) {
    double r;
    for (i = 0; i < n; i++) s->y[i] = s->free_[i] ? x[i] + t * s->dx[i] : x[i];
    (*evals)++;
    r = force(s, s->y, fy);
    if (r < res) {
      memcpy(x, s->y, n * sizeof x[0]);
      memcpy(f, fy, n * sizeof f[0]);
      return r;
    }
  }
  return -1.0;
}

/* ---- rk45.ts (flow-newton) ------------------------------------------------------------------ */

static const double A21 = 1.0 / 5.0;
static const double A31 = 3.0 / 40.0, A32 = 9.0 / 40.0;
static const double A41 = 44.0 / 45.0, A42 = -56.0 / 15.0, A43 = 32.0 / 9.0;
static const double A51 = 19372.0 / 6561.0, A52 = -25360.0 / 2187.0, A53 = 64448.0 / 6561.0, A54 = -212.0 / 729.0;
static const double A61 = 9017.0 / 3168.0, A62 = -355.0 / 33.0, A63 = 46732.0 / 5247.0, A64 = 49.0 / 176.0, A65 = -5103.0 / 18656.0;
static const double B1 = 35.0 / 384.0, B3 = 500.0 / 1113.0, B4 = 125.0 / 192.0, B5 = -2187.0 / 6784.0, B6 = 11.0 / 84.0;
static const double E1 = 71.0 / 57600.0, E3 = -71.0 / 16695.0, E4 = 71.0 / 1920.0, E5 = -17253.0 / 339200.0, E6 = 22.0 / 525.0,
                    E7 = -1.0 / 40.0;
/* DEFAULT_SOLVE of solvers/system.ts */
static const double NEWTON_TOL = 0.05, FLOW_RTOL = 1e-4;

static bool relax_flow_newton(eqp_sim_xy_t *s, double *x, uint32_t max_evals, uint32_t *evals_out)
{
  const unsigned n = s->n;
  double *k1 = s->k[0], *k2 = s->k[1], *k3 = s->k[2], *k4 = s->k[3], *k5 = s->k[4], *k6 = s->k[5], *k7 = s->k[6];
  double *y = s->y;
  const double rtol = FLOW_RTOL, atol = FLOW_RTOL * 1e-2, tol = s->tol;
  uint32_t evals = 1;
  int wait = 0, backoff = 4;
  double res = force(s, x, k1), t = 0.0, h = 0.5 / sqrt(stiffness(s));
  bool first = true;
  unsigned i;
  if (h > 1.0) h = 1.0;
  while (res >= tol && evals < max_evals) {
    double res_new, err = 0.0, fac;
    unsigned cnt = 0;
    if ((res < NEWTON_TOL || first) && wait-- <= 0) {
      double r;
      first = false;
      r = newton_step(s, x, k1, k2, res, &evals);
      if (r >= 0.0) { res = r; backoff = 4; continue; }
      wait = backoff;
      backoff = backoff * 2 < 64 ? backoff * 2 : 64;
    }
    for (i = 0; i < n; i++) y[i] = x[i] + h * A21 * k1[i];
    force(s, y, k2);
    for (i = 0; i < n; i++) y[i] = x[i] + h * (A31 * k1[i] + A32 * k2[i]);
    force(s, y, k3);
    for (i = 0; i < n; i++) y[i] = x[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
    force(s, y, k4);
    for (i = 0; i < n; i++) y[i] = x[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
    force(s, y, k5);
    for (i = 0; i < n; i++) y[i] = x[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
    force(s, y, k6);
    for (i = 0; i < n; i++) y[i] = x[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
    res_new = force(s, y, k7);
    evals += 6u;
    for (i = 0; i < n; i++) {
      double e, sc, ax, ay;
      if (!s->free_[i]) continue;
      e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
      ax = fabs(x[i]);
      ay = fabs(y[i]);
      sc = atol + rtol * (ax > ay ? ax : ay);
      err += (e / sc) * (e / sc);
      cnt++;
    }
    err = cnt ? sqrt(err / cnt) : 0.0;
    if (err != err) err = INFINITY;
    if (err <= 1.0) {
      t += h;
      memcpy(x, y, n * sizeof x[0]);
      memcpy(k1, k7, n * sizeof k1[0]);
      res = res_new;
      if (res == INFINITY) break;
    }
    if (err == 0.0) fac = 5.0;
    else {
      fac = 0.9 * pow(err, -0.2);
      if (fac < 0.2) fac = 0.2;
      if (fac > 5.0) fac = 5.0;
    }
    h *= err <= 1.0 ? fac : (fac < 1.0 ? fac : 1.0);
    if (h < 1e-12) break;
  }
  (void)t;
  *evals_out = evals;
  return res < tol;
}

/* ---- the HAL side ------------------------------------------------------------------------------ */

static unsigned bandwidth(const eqp_sim_xy_t *s)
{
  unsigned b = 0;
  uint32_t k;
  for (k = 0; k < s->m; k++) {
    unsigned i = s->ei[k], j = s->ej[k], d;
    if (s->clamped[i] || s->clamped[j]) continue;
    d = i > j ? i - j : j - i;
    if (d > b) b = d;
  }
  return b < (unsigned)s->n - 1u ? b : (unsigned)s->n - 1u;
}

void eqp_sim_xy_init(eqp_sim_xy_t *s, const eqp_board_config_t *cfg)
{
  uint32_t k;
  memset(s, 0, sizeof *s);
  s->n = cfg->node_count;
  s->m = cfg->edge_count;
  for (k = 0; k < s->m; k++) { s->ei[k] = cfg->edges[k].a; s->ej[k] = cfg->edges[k].b; }
  s->n_out = cfg->nudgeable_count;
  for (k = 0; k < s->n_out; k++) s->outputs[k] = cfg->nudgeable[k];
  s->state_lsb = cfg->state_lsb;
  s->tol = 1e-6;
  s->default_max_evals = 20000u;
  refresh_bias(s);
}

void eqp_sim_xy_set_coupling(eqp_sim_xy_t *s, uint32_t edge, float w)
{
  if (edge < s->m) s->w[edge] = (double)w;
}

void eqp_sim_xy_set_bias(eqp_sim_xy_t *s, uint16_t node, float h, float psi)
{
  if (node >= s->n) return;
  s->h[node] = (double)h;
  s->psi[node] = (double)psi;
  refresh_bias(s);
}

void eqp_sim_xy_clamp(eqp_sim_xy_t *s, uint16_t node, bool on, int16_t raw)
{
  if (node >= s->n) return;
  s->clamped[node] = on ? 1u : 0u;
  s->clamp_value[node] = (double)raw * s->state_lsb;
}

bool eqp_sim_xy_start_relax(eqp_sim_xy_t *s, const eqp_relax_job_t *job)
{
  s->job = *job;
  if (job->start != EQP_START_RANDOM) memcpy(s->job_start, job->start_raw, s->n * sizeof s->job_start[0]);
  memcpy(s->job_target, job->target_raw, s->n_out * sizeof s->job_target[0]);
  memcpy(s->job_force, job->force, s->n * sizeof s->job_force[0]);
  s->pending = true;
  s->running = false;
  return true;
}

/* the start of a job: its start state, clamps and nudge (SimXySubstrate's order of draws) */
static void begin_job(eqp_sim_xy_t *s)
{
  const eqp_relax_job_t *j = &s->job;
  unsigned i, k;
  /* the start, as SimXySubstrate draws it: n uniforms in node order, then the clamps */
  if (j->start == EQP_START_RANDOM) {
    eqp_rng_t r;
    eqp_rng_seed(&r, j->seed);
    for (i = 0; i < s->n; i++) s->x[i] = eqp_rng_uniform(&r, -M_PI, M_PI);
  } else {
    for (i = 0; i < s->n; i++) s->x[i] = (double)s->job_start[i] * s->state_lsb;
  }
  for (i = 0; i < s->n; i++) {
    s->free_[i] = s->clamped[i] ? 0u : 1u;
    if (s->clamped[i]) s->x[i] = s->clamp_value[i];
  }
  s->beta = 0.0;
  s->has_tau = false;
  s->has_ext = false;
  if (j->phase == EQP_PHASE_NUDGED && j->nudge == EQP_NUDGE_COST) {
    s->beta = (double)j->beta;
    s->has_tau = true;
    for (k = 0; k < s->n_out; k++) s->tau[k] = (double)s->job_target[k] * s->state_lsb;
  } else if (j->phase == EQP_PHASE_NUDGED && j->nudge == EQP_NUDGE_FORCE) {
    s->has_ext = true;
    for (i = 0; i < s->n; i++) s->ext[i] = (double)s->job_force[i];
  }
  s->band = (uint16_t)bandwidth(s);
  s->evals_done = 0;
  s->evals_budget = j->max_steps ? j->max_steps : s->default_max_evals;
  s->t0_ms = s->now_ms ? s->now_ms(s->clock_ctx) : 0u;
}

static bool finish(eqp_sim_xy_t *s, eqp_relax_result_t *out, bool settled)
{
  s->pending = false;
  s->running = false;
  out->settled = settled;
  out->steps = s->evals_done;
  out->energy = (float)xy_energy(s, s->x);
  s->relaxations++;
  return true;
}

bool eqp_sim_xy_poll_relax(eqp_sim_xy_t *s, eqp_relax_result_t *out)
{
  const eqp_relax_job_t *j = &s->job;
  uint32_t evals = 0, allow;
  unsigned k;
  bool settled;
  if (!s->pending) return false;
  if (!s->running) {
    begin_job(s);
    s->running = true;
    if (j->expired) return finish(s, out, false);
  }
  /* every slice starts a fresh solve from the state reached; a frozen-torque nudge measures its
   * slip from there, as the TS simulator does for each call */
  if (s->has_ext)
    for (k = 0; k < s->n_out; k++) s->slip_ref[k] = s->x[s->outputs[k]];
  allow = s->evals_budget - s->evals_done;
  if (allow > s->default_max_evals) allow = s->default_max_evals;
  settled = relax_flow_newton(s, s->x, allow, &evals);
  s->evals_done += evals;
  /* settled, stopped short of its allowance (a singularity), or out of steps */
  if (settled || evals < allow || s->evals_done >= s->evals_budget) return finish(s, out, settled);
  if (s->now_ms && j->budget_us > 0u && (uint64_t)(s->now_ms(s->clock_ctx) - s->t0_ms) * 1000u >= j->budget_us) return finish(s, out, false);
  return false;
}

int16_t eqp_sim_xy_read_state(eqp_sim_xy_t *s, uint16_t node)
{
  const double t = 2.0 * M_PI;
  double x, y, q, r;
  if (node >= s->n) return 0;
  x = s->x[node];
  y = x - t * floor(x / t);
  if (y > M_PI) y -= t;
  q = y / s->state_lsb;
  r = q < 0.0 ? -js_round(-q) : js_round(q);
  return (int16_t)(r < -32768.0 ? -32768.0 : r > 32767.0 ? 32767.0 : r);
}

void eqp_sim_xy_abort_relax(eqp_sim_xy_t *s) { s->pending = false; s->running = false; }

void eqp_sim_xy_safe_state(eqp_sim_xy_t *s)
{
  unsigned i;
  uint32_t k;
  s->pending = false;
  s->running = false;
  for (k = 0; k < s->m; k++) s->w[k] = 0.0;
  for (i = 0; i < s->n; i++) { s->h[i] = 0.0; s->psi[i] = 0.0; s->clamped[i] = 0u; }
  refresh_bias(s);
}
