#include "eqp_board.h"

#include <math.h>
#include <string.h>

#include "../eqp_crc32c.h"
#include "../eqp_frame.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- small helpers -------------------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t now(const eqp_board_t *b) { return b->hal->now_ms(b->hal->ctx); }

/* Math.round of ECMAScript: nearest, halves towards +infinity */
static double js_round(double x)
{
  double r = ceil(x);
  if (r - 0.5 > x) r -= 1.0;
  return r;
}

static double apply_range(double v, const eqp_range_t *r)
{
  double mn = r->min, mx = r->max, x = v < mn ? mn : v > mx ? mx : v, step;
  if (r->levels < 2u) return x;
  step = (mx - mn) / (double)(r->levels - 1u);
  return mn + js_round((x - mn) / step) * step;
}

static double wrap_phase(double x)
{
  const double t = 2.0 * M_PI;
  double y = x - t * floor(x / t);
  if (y > M_PI) y -= t;
  return y;
}

static uint32_t total_params(const eqp_board_t *b)
{
  const eqp_board_config_t *c = b->cfg;
  return c->edge_count + ((c->capabilities & EQP_CAPABILITY_BIAS) ? 2u * c->node_count : 0u);
}

/* items of an array of elem bytes that fit one frame of the session, beside `fixed` other bytes */
static uint32_t fit(const eqp_board_t *b, size_t fixed, size_t elem, size_t build_max)
{
  size_t room = (size_t)b->session_max_frame - EQP_FRAME_OVERHEAD - fixed, k = room / elem;
  return (uint32_t)(k < build_max ? k : build_max);
}

static uint32_t read_count(uint32_t offset, uint32_t count, uint32_t total, uint32_t cap)
{
  uint32_t k;
  if (offset >= total) return 0;
  k = count == 0u ? cap : count;
  if (k > total - offset) k = total - offset;
  if (k > cap) k = cap;
  return k;
}

static int clampable_index(const eqp_board_config_t *c, uint16_t node)
{
  uint16_t k;
  for (k = 0; k < c->clampable_count; k++)
    if (c->clampable[k] == node) return (int)k;
  return -1;
}

/* ---- send path ------------------------------------------------------------------------------ */

static void send_frame(eqp_board_t *b, uint8_t *frame, size_t len)
{
  size_t n = 0;
  if (b->cfg->wire_major != EQP_PROTO_MAJOR) {
    /* an incompatible firmware frames in its own major; header layout and CRC stay (SPEC 3.3) */
    uint32_t crc;
    frame[0] = b->cfg->wire_major;
    crc = eqp_crc32c(frame, len - 4u);
    frame[len - 4] = (uint8_t)(crc & 0xffu);
    frame[len - 3] = (uint8_t)((crc >> 8) & 0xffu);
    frame[len - 2] = (uint8_t)((crc >> 16) & 0xffu);
    frame[len - 1] = (uint8_t)(crc >> 24);
  }
  if (eqp_cobs_encode(frame, len, b->tx_serial, sizeof b->tx_serial - 1u, &n) != EQP_OK) return;
  b->tx_serial[n++] = 0u;
  b->last_tx_ms = now(b);
  b->stats.frames_out++;
  b->hal->uart_write(b->hal->ctx, b->tx_serial, n);
}

static eqp_cache_entry_t *cache_find(eqp_board_t *b, uint16_t seq, uint8_t id, uint32_t crc)
{
  unsigned k;
  for (k = 0; k < EQP_BOARD_MAX_WINDOW; k++) {
    eqp_cache_entry_t *e = &b->cache[k];
    if (e->valid && e->seq == seq && e->id == id && e->crc == crc) return e;
  }
  return NULL;
}

/* The entry of (seq, id, crc): its own if cached (a RELAX finishing), else the oldest of the ring. */
static eqp_cache_entry_t *cache_claim(eqp_board_t *b, uint16_t seq, uint8_t id, uint32_t crc)
{
  eqp_cache_entry_t *e = cache_find(b, seq, id, crc);
  if (e) return e;
  e = &b->cache[b->cache_next % b->window];
  b->cache_next = (uint8_t)((b->cache_next + 1u) % b->window);
  e->valid = true;
  e->done = false;
  e->seq = seq;
  e->id = id;
  e->crc = crc;
  e->len = 0;
  return e;
}

static void cache_clear(eqp_board_t *b)
{
  unsigned k;
  for (k = 0; k < EQP_BOARD_MAX_WINDOW; k++) b->cache[k].valid = false;
  b->cache_next = 0;
}

/* Encodes body as msg_id under seq; with cache, it becomes the cached reply of (seq, cmd_id, crc). */
static void send_msg(eqp_board_t *b, uint16_t seq, uint8_t msg_id, bool cache, uint8_t cmd_id, uint32_t crc)
{
  size_t len = 0, cap = b->session_max_frame < EQP_MAX_FRAME ? b->session_max_frame : EQP_MAX_FRAME;
  if (msg_id == EQP_MSG_DEVICE_INFO || msg_id == EQP_MSG_NACK || msg_id == EQP_MSG_ACK || msg_id == EQP_MSG_HEARTBEAT ||
      msg_id == EQP_MSG_FAULT)
    cap = EQP_MAX_FRAME; /* these always fit 256 bytes */
  if (eqp_message_encode(b->tx_frame, cap, seq, msg_id, &b->body, &len) != EQP_OK) return;
  if (cache) {
    eqp_cache_entry_t *e = cache_claim(b, seq, cmd_id, crc);
    memcpy(e->reply, b->tx_frame, len);
    e->len = len;
    e->done = true;
  }
  send_frame(b, b->tx_frame, len);
}

static void nack(eqp_board_t *b, uint16_t seq, uint8_t ref, unsigned code, uint32_t detail, bool cache, uint32_t crc)
{
  memset(&b->body, 0, sizeof b->body.nack);
  b->body.nack.ref = ref;
  b->body.nack.code = (uint16_t)code;
  b->body.nack.detail = detail;
  b->stats.nacks++;
  send_msg(b, seq, EQP_MSG_NACK, cache, ref, crc);
}

static void ack(eqp_board_t *b, uint16_t seq, uint8_t ref, uint32_t crc)
{
  b->body.ack.ref = ref;
  send_msg(b, seq, EQP_MSG_ACK, true, ref, crc);
}

static void send_event(eqp_board_t *b, uint8_t msg_id)
{
  uint16_t seq = b->event_seq;
  b->event_seq = (uint16_t)(b->event_seq + 1u);
  send_msg(b, seq, msg_id, false, 0, 0);
}

static void send_fault(eqp_board_t *b, uint16_t code, uint32_t detail)
{
  b->body.fault.code = code;
  b->body.fault.detail = detail;
  send_event(b, EQP_MSG_FAULT);
}

/* ---- state ---------------------------------------------------------------------------------- */

static void clear_samples(eqp_board_t *b)
{
  memset(b->clamped, 0, sizeof b->clamped);
  memset(b->clamp_raw, 0, sizeof b->clamp_raw);
  memset(b->target_raw, 0, sizeof b->target_raw);
  memset(b->force, 0, sizeof b->force);
  memset(b->start_raw, 0, sizeof b->start_raw);
  memset(b->has_result, 0, sizeof b->has_result);
  memset(b->has_readout, 0, sizeof b->has_readout);
  memset(b->has_free, 0, sizeof b->has_free);
  b->last_batch = 0;
}

/* HELLO, the safe state and boot forget the learning rule and the accumulated update */
static void clear_learning(eqp_board_t *b)
{
  b->learn_configured = false;
  memset(b->learn_acc, 0, sizeof b->learn_acc);
  b->learn_samples = 0;
}

static void abort_relax(eqp_board_t *b)
{
  if (b->state == EQP_BOARD_STATE_BUSY) {
    if (b->sample_running) b->hal->abort_relax(b->hal->ctx);
    b->sample_running = false;
  }
}

/* The session is over (safe state, boot): no cached replies, no queued commands, window 1. */
static void end_session(eqp_board_t *b)
{
  cache_clear(b);
  b->queue_len = 0;
  b->queue_head = 0;
  b->window = 1;
}

/* SPEC 7.2: relaxation aborted, drivers off, parameters 0, per-sample data and cache cleared */
static void enter_safe(eqp_board_t *b)
{
  abort_relax(b);
  b->hal->safe_state(b->hal->ctx);
  memset(b->params, 0, sizeof b->params);
  clear_samples(b);
  clear_learning(b);
  end_session(b);
  b->state = EQP_BOARD_STATE_SAFE;
  b->armed = false;
}

static void boot(eqp_board_t *b, uint32_t boot_counter)
{
  b->hal->safe_state(b->hal->ctx);
  memset(b->params, 0, sizeof b->params);
  clear_samples(b);
  clear_learning(b);
  end_session(b);
  b->state = EQP_BOARD_STATE_BOOT;
  b->boot_counter = boot_counter;
  b->boot_ms = now(b);
  b->session_max_frame = EQP_MIN_FRAME_LIMIT;
  b->watchdog_ms = EQP_DEFAULT_WATCHDOG_MS;
  b->armed = false;
  b->reset_pending = true;
  b->sample_running = false;
  b->last_tx_ms = b->boot_ms;
  b->last_valid_rx_ms = b->boot_ms;
  eqp_cobs_rx_reset(&b->rx);
}

const char *eqp_board_check_config(const eqp_board_config_t *c)
{
  uint32_t k;
  if (c->node_count == 0u || c->node_count > EQP_BOARD_MAX_NODES) return "node_count outside 1..EQP_BOARD_MAX_NODES";
  if (c->edge_count > EQP_BOARD_MAX_EDGES) return "edge_count above EQP_BOARD_MAX_EDGES";
  if (c->max_batch == 0u || c->max_batch > EQP_BOARD_MAX_BATCH) return "max_batch outside 1..EQP_BOARD_MAX_BATCH";
  if (c->max_frame < EQP_MIN_FRAME_LIMIT || c->max_frame > EQP_MAX_FRAME) return "max_frame outside 256..EQP_MAX_FRAME";
  if (c->clampable_count > c->node_count || c->nudgeable_count > c->node_count) return "more clampable or nudgeable nodes than nodes";
  for (k = 0; k < c->edge_count; k++)
    if (c->edges[k].a >= c->node_count || c->edges[k].b >= c->node_count) return "an edge names a node >= node_count";
  for (k = 0; k < c->clampable_count; k++)
    if (c->clampable[k] >= c->node_count) return "a clampable node >= node_count";
  for (k = 0; k < c->nudgeable_count; k++)
    if (c->nudgeable[k] >= c->node_count) return "a nudgeable node >= node_count";
  if (!(c->state_lsb > 0.0f)) return "state_lsb must be positive";
  if (c->window > EQP_BOARD_MAX_WINDOW) return "window above EQP_BOARD_MAX_WINDOW";
  return NULL;
}

void eqp_board_init(eqp_board_t *b, const eqp_board_config_t *cfg, const eqp_hal_t *hal, uint32_t boot_counter)
{
  memset(b, 0, sizeof *b);
  b->cfg = cfg;
  b->hal = hal;
  eqp_cobs_rx_init(&b->rx, b->rx_buf, sizeof b->rx_buf, cfg->max_frame);
  boot(b, boot_counter);
}

void eqp_board_reboot(eqp_board_t *b, uint32_t boot_counter)
{
  abort_relax(b);
  boot(b, boot_counter);
}

void eqp_board_link_reset(eqp_board_t *b) { eqp_cobs_rx_reset(&b->rx); }

/* ---- parameters ----------------------------------------------------------------------------- */

static float board_value(const eqp_board_t *b, uint32_t index, double v)
{
  const eqp_board_config_t *c = b->cfg;
  if (index < c->edge_count) return (float)apply_range(v, &c->coupling);
  if (index < c->edge_count + c->node_count) return (float)apply_range(v, &c->bias);
  return (float)wrap_phase(v);
}

static void push_param(eqp_board_t *b, uint32_t index)
{
  const eqp_board_config_t *c = b->cfg;
  if (index < c->edge_count) {
    b->hal->set_coupling(b->hal->ctx, index, b->params[index]);
  } else {
    uint16_t node = (uint16_t)((index - c->edge_count) % c->node_count);
    b->hal->set_bias(b->hal->ctx, node, b->params[c->edge_count + node], b->params[c->edge_count + c->node_count + node]);
  }
}

/* SET_PARAMS (add = false) or UPDATE_PARAMS (add = true); values already checked */
static void write_params(eqp_board_t *b, uint32_t offset, const float *values, uint16_t count, bool add)
{
  uint16_t k;
  for (k = 0; k < count; k++) {
    uint32_t i = offset + k;
    double v = add ? (double)b->params[i] + (double)values[k] : (double)values[k];
    b->params[i] = board_value(b, i, v);
    push_param(b, i);
  }
}

/* ---- on-board learning (SPEC 13) ------------------------------------------------------------ */

/* Adds sample s's contrast dE/dtheta(nudged) - dE/dtheta(free) to the accumulator: dE/dW_ij =
 * -cos(phi_i - phi_j), dE/dh_i = -cos(phi_i - psi_i), dE/dpsi_i = -h_i sin(phi_i - psi_i). */
static void learn_accumulate(eqp_board_t *b, uint16_t s)
{
  const eqp_board_config_t *c = b->cfg;
  const double lsb = c->state_lsb;
  const int16_t *f = b->free_raw[s], *u = b->result[s];
  uint32_t e;
  uint16_t i;
  for (e = 0; e < c->edge_count; e++) {
    uint16_t p = c->edges[e].a, q = c->edges[e].b;
    b->learn_acc[e] += (float)(cos(lsb * (f[p] - f[q])) - cos(lsb * (u[p] - u[q])));
  }
  if (b->learn_bias_eta == 0.0f || !(c->capabilities & EQP_CAPABILITY_BIAS)) return;
  for (i = 0; i < c->node_count; i++) {
    double h = b->params[c->edge_count + i], psi = b->params[c->edge_count + c->node_count + i];
    double pf = lsb * f[i] - psi, pu = lsb * u[i] - psi;
    b->learn_acc[c->edge_count + i] += (float)(cos(pf) - cos(pu));
    b->learn_acc[c->edge_count + c->node_count + i] += (float)(h * (sin(pf) - sin(pu)));
  }
}

/* LEARN_COMMIT: theta += -(eta/beta) acc / samples through the board's clip and quantise; fresh accumulator */
static void learn_commit(eqp_board_t *b)
{
  const eqp_board_config_t *c = b->cfg;
  uint32_t k, total = total_params(b);
  if (b->learn_samples > 0u) {
    double scale = -1.0 / ((double)b->learn_beta * (double)b->learn_samples);
    for (k = 0; k < total; k++) b->learn_acc[k] = (float)((k < c->edge_count ? (double)b->learn_eta : (double)b->learn_bias_eta) * scale * b->learn_acc[k]);
    if (b->learn_eta != 0.0f) write_params(b, 0, b->learn_acc, (uint16_t)c->edge_count, true);
    if (b->learn_bias_eta != 0.0f && total > c->edge_count)
      write_params(b, c->edge_count, b->learn_acc + c->edge_count, (uint16_t)(total - c->edge_count), true);
  }
  memset(b->learn_acc, 0, sizeof b->learn_acc);
  b->learn_samples = 0;
}

/* A reported state as a host that wrote it back with SET_START would send it (SPEC 6.5 readout): a
 * phase is wrapped to (-pi, pi] and rounded again (nearest, ties away from zero), so a reported
 * +-25736 units, just beyond +-pi, comes back with the other sign. Other models keep the value. */
static int16_t readout_value(const eqp_board_config_t *c, int16_t r)
{
  double lsb = c->state_lsb, q;
  if (c->model != EQP_MODEL_XY && c->model != EQP_MODEL_OIM) return r;
  q = wrap_phase((double)r * lsb) / lsb;
  q = q < 0.0 ? -js_round(-q) : js_round(q);
  return (int16_t)(q < -32768.0 ? -32768.0 : q > 32767.0 ? 32767.0 : q);
}

/* ---- relaxation ----------------------------------------------------------------------------- */

static void start_sample(eqp_board_t *b)
{
  const eqp_board_config_t *c = b->cfg;
  const eqp_relax_body_t *r = &b->relax;
  uint16_t s = b->relax_sample, k;
  eqp_relax_job_t job;
  uint64_t elapsed_us = (uint64_t)(now(b) - b->relax_t0_ms) * 1000u;
  for (k = 0; k < c->clampable_count; k++) {
    uint16_t node = c->clampable[k];
    b->hal->clamp(b->hal->ctx, node, b->clamped[s][node] != 0u, b->clamp_raw[s][node]);
  }
  memset(&job, 0, sizeof job);
  job.sample = s;
  job.start = r->start;
  job.seed = r->seed + s;
  job.start_raw = b->relax_learn == 2u ? b->free_raw[s] : r->start == EQP_START_PREVIOUS ? b->result[s]
    : r->start == EQP_START_READOUT ? b->readout_raw[s] : b->start_raw[s];
  job.phase = r->phase;
  job.nudge = r->nudge;
  job.cost = r->cost;
  job.beta = r->beta;
  job.target_raw = b->target_raw[s];
  job.force = b->force[s];
  job.max_steps = r->max_steps;
  job.expired = r->budget_us > 0u && elapsed_us >= r->budget_us;
  job.budget_us = r->budget_us > 0u && !job.expired ? (uint32_t)(r->budget_us - elapsed_us) : 0u;
  if (!b->hal->start_relax(b->hal->ctx, &job)) {
    /* a hardware failure: safe state, as every fault */
    enter_safe(b);
    send_fault(b, EQP_FAULT_DRIVER, 0);
    return;
  }
  b->sample_running = true;
}

static void poll_relax(eqp_board_t *b)
{
  eqp_relax_result_t res;
  uint16_t s = b->relax_sample, i;
  if (!b->sample_running) {
    if (b->relax_sample < b->relax.batch) start_sample(b);
    return;
  }
  if (!b->hal->poll_relax(b->hal->ctx, &res)) return;
  b->sample_running = false;
  for (i = 0; i < b->cfg->node_count; i++) b->result[s][i] = b->hal->read_state(b->hal->ctx, i);
  b->has_result[s] = true;
  b->settled[s] = res.settled;
  b->steps[s] = res.steps;
  b->energy[s] = res.energy;
  if (res.settled) b->relax_settled++;
  b->relax_sample++;
  if (b->relax_sample < b->relax.batch) return;
  b->state = EQP_BOARD_STATE_READY;
  b->last_batch = b->relax.batch;
  b->stats.relaxations++;
  if (b->relax.phase == EQP_PHASE_FREE)
    for (i = 0; i < b->relax.batch; i++) {
      uint16_t k;
      for (k = 0; k < b->cfg->node_count; k++) b->readout_raw[i][k] = readout_value(b->cfg, b->result[i][k]);
      b->has_readout[i] = true;
    }
  if (b->relax_learn == 1u) {
    /* LEARN_FREE: keep the free equilibria, answer with the outputs */
    const eqp_board_config_t *c = b->cfg;
    eqp_learn_outputs_body_t *o = &b->body.learn_outputs;
    uint16_t k, n = 0;
    for (i = 0; i < b->relax.batch; i++) {
      memcpy(b->free_raw[i], b->result[i], (size_t)c->node_count * sizeof b->free_raw[i][0]);
      b->has_free[i] = true;
      for (k = 0; k < c->nudgeable_count; k++) o->values[n++] = b->result[i][c->nudgeable[k]];
    }
    o->batch = b->relax.batch;
    o->settled = b->relax_settled;
    o->elapsed_us = (now(b) - b->relax_t0_ms) * 1000u;
    o->values_count = n;
    send_msg(b, b->relax_seq, EQP_MSG_LEARN_OUTPUTS, true, b->relax_id, b->relax_crc);
    return;
  }
  if (b->relax_learn == 2u) {
    /* LEARN_NUDGED: only samples whose nudged phase settled give a usable contrast */
    uint16_t used = 0;
    for (i = 0; i < b->relax.batch; i++) {
      if (!b->settled[i]) continue;
      learn_accumulate(b, i);
      b->learn_samples++;
      used++;
    }
    b->relax_settled = used;
  }
  b->body.relax_done.batch = b->relax.batch;
  b->body.relax_done.settled = b->relax_settled;
  b->body.relax_done.elapsed_us = (now(b) - b->relax_t0_ms) * 1000u;
  send_msg(b, b->relax_seq, EQP_MSG_RELAX_DONE, true, b->relax_id, b->relax_crc);
}

/* ---- commands ------------------------------------------------------------------------------- */

/* Starts a relaxation (RELAX, or a learning one: learn 1 = LEARN_FREE, 2 = LEARN_NUDGED) with the
 * board's own clamps of its budgets (SPEC 6.5): no command may keep the board busy longer than its limit. */
static void begin_relax(eqp_board_t *b, const eqp_frame_t *f, uint32_t crc, eqp_relax_body_t *r, uint8_t learn)
{
  const eqp_board_config_t *c = b->cfg;
  uint32_t def_budget = c->default_budget_us ? c->default_budget_us : EQP_BOARD_DEFAULT_BUDGET_US;
  uint32_t budget_lim = c->budget_limit_us ? c->budget_limit_us : EQP_BOARD_BUDGET_LIMIT_US;
  uint32_t steps_lim = c->max_steps_limit ? c->max_steps_limit : EQP_BOARD_MAX_STEPS_LIMIT;
  if (r->budget_us == 0u) r->budget_us = def_budget;
  if (r->budget_us > budget_lim) r->budget_us = budget_lim;
  if (r->max_steps > steps_lim) r->max_steps = steps_lim;
  b->relax = *r;
  b->relax_learn = learn;
  b->relax_sample = 0;
  b->relax_settled = 0;
  b->sample_running = false;
  b->relax_t0_ms = now(b);
  b->state = EQP_BOARD_STATE_BUSY;
  b->relax_seq = f->seq;
  b->relax_id = f->msg_id;
  b->relax_crc = crc;
  (void)cache_claim(b, f->seq, f->msg_id, crc); /* a retry while it runs is ignored (SPEC 5.4) */
}

/* Every command once the board is ready. Returns a NACK code (detail in *detail) or EQP_OK when the
 * reply has been sent (or the RELAX started). */
static int dispatch(eqp_board_t *b, const eqp_frame_t *f, uint32_t crc, uint32_t *detail)
{
  const eqp_board_config_t *c = b->cfg;
  eqp_body_t *m = &b->body;
  uint32_t total = total_params(b), k, i;
  switch (f->msg_id) {
  case EQP_MSG_GET_EDGES: {
    uint32_t off = m->get_edges.offset, cnt;
    cnt = read_count(off, m->get_edges.count, c->edge_count, fit(b, 10, 4, EQP_EDGES_EDGES_MAX));
    m->edges.offset = off;
    m->edges.total = c->edge_count;
    m->edges.edges_count = (uint16_t)cnt;
    for (k = 0; k < cnt; k++) m->edges.edges[k] = c->edges[off + k];
    send_msg(b, f->seq, EQP_MSG_EDGES, true, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_GET_NODE_LIST: {
    uint8_t list = m->get_node_list.list;
    uint16_t off = m->get_node_list.offset;
    const uint16_t *all = list == EQP_NODE_LIST_CLAMPABLE ? c->clampable : c->nudgeable;
    uint16_t n = list == EQP_NODE_LIST_CLAMPABLE ? c->clampable_count : c->nudgeable_count;
    uint32_t cnt = read_count(off, m->get_node_list.count, n, fit(b, 7, 2, EQP_NODE_LIST_NODES_MAX));
    m->node_list.list = list;
    m->node_list.offset = off;
    m->node_list.total = n;
    m->node_list.nodes_count = (uint16_t)cnt;
    for (k = 0; k < cnt; k++) m->node_list.nodes[k] = all[off + k];
    send_msg(b, f->seq, EQP_MSG_NODE_LIST, true, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_SET_PARAMS:
  case EQP_MSG_UPDATE_PARAMS: {
    bool add = f->msg_id == EQP_MSG_UPDATE_PARAMS;
    uint32_t off = add ? m->update_params.offset : m->set_params.offset;
    uint16_t cnt = add ? m->update_params.deltas_count : m->set_params.values_count;
    float vals[EQP_SET_PARAMS_VALUES_MAX];
    memcpy(vals, add ? m->update_params.deltas : m->set_params.values, (size_t)cnt * sizeof vals[0]);
    if (off > total || cnt > total - off) { *detail = total; return EQP_ERR_OUT_OF_RANGE; }
    for (k = 0; k < cnt; k++)
      if (!isfinite(vals[k])) { *detail = k; return EQP_ERR_OUT_OF_RANGE; }
    write_params(b, off, vals, cnt, add);
    m->params.offset = off;
    m->params.total = total;
    m->params.values_count = cnt;
    for (k = 0; k < cnt; k++) m->params.values[k] = b->params[off + k];
    send_msg(b, f->seq, EQP_MSG_PARAMS, true, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_GET_PARAMS: {
    uint32_t off = m->get_params.offset;
    uint32_t cnt = read_count(off, m->get_params.count, total, fit(b, 10, 4, EQP_PARAMS_VALUES_MAX));
    m->params.offset = off;
    m->params.total = total;
    m->params.values_count = (uint16_t)cnt;
    for (k = 0; k < cnt; k++) m->params.values[k] = b->params[off + k];
    send_msg(b, f->seq, EQP_MSG_PARAMS, true, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_CLAMP: {
    uint16_t s = m->clamp.sample;
    if (s >= c->max_batch) { *detail = s; return EQP_ERR_OUT_OF_RANGE; }
    for (k = 0; k < m->clamp.clamps_count; k++)
      if (clampable_index(c, m->clamp.clamps[k].node) < 0) { *detail = k; return EQP_ERR_OUT_OF_RANGE; }
    if (m->clamp.replace) memset(b->clamped[s], 0, sizeof b->clamped[s]);
    for (k = 0; k < m->clamp.clamps_count; k++) {
      uint16_t node = m->clamp.clamps[k].node;
      b->clamped[s][node] = 1u;
      b->clamp_raw[s][node] = m->clamp.clamps[k].value;
    }
    ack(b, f->seq, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_SET_TARGETS:
  case EQP_MSG_SET_START: {
    bool targets = f->msg_id == EQP_MSG_SET_TARGETS;
    uint16_t s = targets ? m->set_targets.sample : m->set_start.sample;
    uint16_t off = targets ? m->set_targets.offset : m->set_start.offset;
    uint16_t cnt = targets ? m->set_targets.values_count : m->set_start.values_count;
    uint16_t lim = targets ? c->nudgeable_count : c->node_count;
    const int16_t *v = targets ? m->set_targets.values : m->set_start.values;
    if (s >= c->max_batch) { *detail = s; return EQP_ERR_OUT_OF_RANGE; }
    if ((uint32_t)off + cnt > lim) { *detail = lim; return EQP_ERR_OUT_OF_RANGE; }
    if (!targets && !(c->capabilities & EQP_CAPABILITY_GIVEN_START)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    for (k = 0; k < cnt; k++) (targets ? b->target_raw[s] : b->start_raw[s])[off + k] = v[k];
    ack(b, f->seq, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_SET_FORCE: {
    uint16_t s = m->set_force.sample, off = m->set_force.offset, cnt = m->set_force.values_count;
    if (!(c->capabilities & EQP_CAPABILITY_FORCE_VECTOR)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (s >= c->max_batch) { *detail = s; return EQP_ERR_OUT_OF_RANGE; }
    if ((uint32_t)off + cnt > c->node_count) { *detail = c->node_count; return EQP_ERR_OUT_OF_RANGE; }
    for (k = 0; k < cnt; k++)
      if (!isfinite(m->set_force.values[k])) { *detail = k; return EQP_ERR_OUT_OF_RANGE; }
    for (k = 0; k < cnt; k++) b->force[s][off + k] = m->set_force.values[k];
    ack(b, f->seq, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_RELAX: {
    eqp_relax_body_t *r = &m->relax;
    bool nudged = r->phase == EQP_PHASE_NUDGED;
    if (r->batch == 0u || r->batch > c->max_batch) { *detail = r->batch; return EQP_ERR_OUT_OF_RANGE; }
    if (nudged && r->nudge == EQP_NUDGE_COST && !(c->costs & (1u << r->cost))) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (nudged && r->nudge == EQP_NUDGE_FORCE && !(c->capabilities & EQP_CAPABILITY_FORCE_VECTOR)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (nudged && r->nudge == EQP_NUDGE_COST && !isfinite(r->beta)) { *detail = 0; return EQP_ERR_OUT_OF_RANGE; }
    if (r->start == EQP_START_GIVEN && !(c->capabilities & EQP_CAPABILITY_GIVEN_START)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (r->start == EQP_START_READOUT && !(c->capabilities & EQP_CAPABILITY_READOUT_START)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (r->start == EQP_START_PREVIOUS || r->start == EQP_START_READOUT)
      for (i = 0; i < r->batch; i++)
        if (!(r->start == EQP_START_PREVIOUS ? b->has_result[i] : b->has_readout[i])) { *detail = i; return EQP_ERR_NO_PREVIOUS; }
    begin_relax(b, f, crc, r, 0);
    return EQP_OK;
  }
  case EQP_MSG_LEARN_CONFIG: {
    eqp_learn_config_body_t *l = &m->learn_config;
    if (!(c->capabilities & EQP_CAPABILITY_ON_BOARD_LEARNING)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (!isfinite(l->eta) || l->eta < 0.0f) { *detail = 0; return EQP_ERR_OUT_OF_RANGE; }
    if (!isfinite(l->bias_eta) || l->bias_eta < 0.0f) { *detail = 1; return EQP_ERR_OUT_OF_RANGE; }
    if (!isfinite(l->beta) || l->beta == 0.0f) { *detail = 2; return EQP_ERR_OUT_OF_RANGE; }
    if (!(c->costs & (1u << l->cost))) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (l->bias_eta != 0.0f && !(c->capabilities & EQP_CAPABILITY_BIAS)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    b->learn_eta = l->eta;
    b->learn_bias_eta = l->bias_eta;
    b->learn_beta = l->beta;
    b->learn_cost = l->cost;
    b->learn_configured = true;
    memset(b->learn_acc, 0, sizeof b->learn_acc);
    b->learn_samples = 0;
    ack(b, f->seq, f->msg_id, crc);
    return EQP_OK;
  }
  case EQP_MSG_LEARN_FREE: {
    eqp_learn_free_body_t *l = &m->learn_free;
    eqp_relax_body_t r;
    uint32_t per = (uint32_t)c->clampable_count + c->nudgeable_count;
    uint16_t s, k;
    if (!(c->capabilities & EQP_CAPABILITY_ON_BOARD_LEARNING)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (!b->learn_configured) { *detail = 0; return EQP_ERR_LEARN_NOT_CONFIGURED; }
    if (l->batch == 0u || l->batch > c->max_batch ||
        (uint32_t)l->batch * c->nudgeable_count > fit(b, 10, 2, EQP_LEARN_OUTPUTS_VALUES_MAX)) { *detail = l->batch; return EQP_ERR_OUT_OF_RANGE; }
    if (l->samples_count != (uint32_t)l->batch * per) { *detail = (uint32_t)l->batch * per; return EQP_ERR_OUT_OF_RANGE; }
    for (s = 0; s < l->batch; s++) {
      const int16_t *v = l->samples + (size_t)s * per;
      memset(b->clamped[s], 0, sizeof b->clamped[s]);
      for (k = 0; k < c->clampable_count; k++) {
        b->clamped[s][c->clampable[k]] = 1u;
        b->clamp_raw[s][c->clampable[k]] = v[k];
      }
      for (k = 0; k < c->nudgeable_count; k++) b->target_raw[s][k] = v[c->clampable_count + k];
    }
    memset(&r, 0, sizeof r);
    r.batch = l->batch;
    r.phase = EQP_PHASE_FREE;
    r.nudge = EQP_NUDGE_COST;
    r.cost = b->learn_cost;
    r.start = EQP_START_RANDOM;
    r.seed = l->seed;
    r.budget_us = l->budget_us;
    r.max_steps = l->max_steps;
    begin_relax(b, f, crc, &r, 1);
    return EQP_OK;
  }
  case EQP_MSG_LEARN_NUDGED: {
    eqp_learn_nudged_body_t *l = &m->learn_nudged;
    eqp_relax_body_t r;
    if (!(c->capabilities & EQP_CAPABILITY_ON_BOARD_LEARNING)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (!b->learn_configured) { *detail = 0; return EQP_ERR_LEARN_NOT_CONFIGURED; }
    if (l->batch == 0u || l->batch > c->max_batch) { *detail = l->batch; return EQP_ERR_OUT_OF_RANGE; }
    for (i = 0; i < l->batch; i++)
      if (!b->has_free[i]) { *detail = i; return EQP_ERR_NO_PREVIOUS; }
    memset(&r, 0, sizeof r);
    r.batch = l->batch;
    r.phase = EQP_PHASE_NUDGED;
    r.nudge = EQP_NUDGE_COST;
    r.cost = b->learn_cost;
    r.start = EQP_START_GIVEN;
    r.beta = b->learn_beta;
    r.budget_us = l->budget_us;
    r.max_steps = l->max_steps;
    begin_relax(b, f, crc, &r, 2);
    return EQP_OK;
  }
  case EQP_MSG_LEARN_COMMIT:
  case EQP_MSG_LEARN_DISCARD:
    if (!(c->capabilities & EQP_CAPABILITY_ON_BOARD_LEARNING)) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    if (f->msg_id == EQP_MSG_LEARN_COMMIT) {
      if (!b->learn_configured) { *detail = 0; return EQP_ERR_LEARN_NOT_CONFIGURED; }
      learn_commit(b);
    } else {
      memset(b->learn_acc, 0, sizeof b->learn_acc);
      b->learn_samples = 0;
    }
    ack(b, f->seq, f->msg_id, crc);
    return EQP_OK;
  case EQP_MSG_GET_STATE: {
    uint16_t s = m->get_state.sample;
    uint32_t off = m->get_state.offset, cnt;
    if (s >= b->last_batch) { *detail = s; return EQP_ERR_OUT_OF_RANGE; }
    if (m->get_state.kind != EQP_STATE_KIND_NODES) { *detail = 0; return EQP_ERR_UNSUPPORTED; }
    cnt = read_count(off, m->get_state.count, c->node_count, fit(b, 22, 2, EQP_STATE_VALUES_MAX));
    m->state.sample = s;
    m->state.kind = EQP_STATE_KIND_NODES;
    m->state.settled = b->settled[s];
    m->state.steps = b->steps[s];
    m->state.energy = b->energy[s];
    m->state.offset = off;
    m->state.total = c->node_count;
    m->state.values_count = (uint16_t)cnt;
    for (k = 0; k < cnt; k++) m->state.values[k] = b->result[s][off + k];
    send_msg(b, f->seq, EQP_MSG_STATE, true, f->msg_id, crc);
    return EQP_OK;
  }
  default:
    *detail = f->msg_id;
    return EQP_ERR_UNKNOWN_MESSAGE;
  }
}

static void hello(eqp_board_t *b, const eqp_frame_t *f, uint32_t crc)
{
  const eqp_board_config_t *c = b->cfg;
  eqp_hello_body_t h = b->body.hello;
  eqp_device_info_body_t *d = &b->body.device_info;
  uint32_t wd = h.watchdog_ms == 0u ? EQP_DEFAULT_WATCHDOG_MS : h.watchdog_ms < 100u ? 100u : h.watchdog_ms > 60000u ? 60000u : h.watchdog_ms;
  uint16_t mf = h.max_frame < c->max_frame ? h.max_frame : c->max_frame;
  abort_relax(b);
  clear_samples(b);
  clear_learning(b);
  /* a new session: commands queued in the old one never run, its replies are forgotten */
  end_session(b);
  {
    unsigned ours = c->window ? c->window : EQP_BOARD_MAX_WINDOW, theirs = h.window ? h.window : 1u;
    b->window = (uint8_t)(theirs < ours ? theirs : ours);
  }
  b->session_max_frame = mf < EQP_MIN_FRAME_LIMIT ? (uint16_t)EQP_MIN_FRAME_LIMIT : mf;
  b->watchdog_ms = wd;
  b->armed = true;
  b->last_valid_rx_ms = now(b);
  b->state = EQP_BOARD_STATE_READY;
  memset(d, 0, sizeof *d);
  {
    unsigned ours = EQP_PROTO_MINOR, theirs = h.proto_minor;
    d->proto_minor = (uint8_t)(theirs < ours ? theirs : ours);
  }
  d->model = c->model;
  d->reports = EQP_REPORTS_STATES;
  d->capabilities = c->capabilities;
  d->costs = c->costs;
  d->max_frame = b->session_max_frame;
  d->max_batch = c->max_batch;
  d->node_count = c->node_count;
  d->edge_count = c->edge_count;
  d->clampable_count = c->clampable_count;
  d->nudgeable_count = c->nudgeable_count;
  d->coupling = c->coupling;
  d->bias = c->bias;
  d->state_lsb = c->state_lsb;
  d->edge_lsb = 0.0f;
  d->watchdog_ms = wd;
  d->boot_counter = b->boot_counter;
  strncpy(d->uid, c->uid, sizeof d->uid - 1u);
  strncpy(d->firmware, c->firmware, sizeof d->firmware - 1u);
  d->window = b->window > 1u ? b->window : 0u; /* left out for a host that did not ask: 1.0 bytes */
  send_msg(b, f->seq, EQP_MSG_DEVICE_INFO, true, f->msg_id, crc);
}

static void execute(eqp_board_t *b, const eqp_frame_t *f, uint32_t crc)
{
  uint32_t detail = 0;
  int rc;
  b->stats.commands++;
  if (f->msg_id == EQP_MSG_HELLO) { hello(b, f, crc); return; }
  if (f->msg_id == EQP_MSG_STOP) {
    enter_safe(b);
    ack(b, f->seq, f->msg_id, crc);
    return;
  }
  if (b->state == EQP_BOARD_STATE_BOOT || b->state == EQP_BOARD_STATE_SAFE) {
    nack(b, f->seq, f->msg_id, EQP_ERR_NOT_READY, 0, true, crc);
    return;
  }
  if (b->state == EQP_BOARD_STATE_BUSY) {
    /* refusals while busy leave the cache to the running RELAX */
    nack(b, f->seq, f->msg_id, EQP_ERR_BUSY, 0, false, 0);
    return;
  }
  rc = dispatch(b, f, crc, &detail);
  if (rc != EQP_OK) nack(b, f->seq, f->msg_id, (unsigned)rc, detail, true, crc);
}

/* Whether this exact frame (seq, id and CRC) waits in the queue. */
static bool queued(const eqp_board_t *b, const uint8_t *buf, size_t n)
{
  unsigned k;
  for (k = 0; k < b->queue_len; k++) {
    const eqp_queued_t *q = &b->queue[(b->queue_head + k) % EQP_BOARD_MAX_WINDOW];
    if (q->len == n && memcmp(q->frame + 3, buf + 3, 3) == 0 && memcmp(q->frame + n - 4u, buf + n - 4u, 4) == 0) return true;
  }
  return false;
}

static void handle_frame(eqp_board_t *b, const uint8_t *buf, size_t n)
{
  eqp_frame_t f;
  uint32_t detail = 0, crc;
  /* the session's limit, not the buffer's: a frame the host may not send is dropped (SPEC 3.5) */
  int rc = eqp_message_decode(buf, n, b->session_max_frame, EQP_ROLE_BOARD, &f, &b->body, &detail);
  b->stats.frames_in++;
  switch (rc) {
  case EQP_OK: break;
  case EQP_ERR_FRAME_TOO_LARGE: b->stats.rx_bad++; return;
  case EQP_ERR_BAD_CRC:
    b->stats.rx_bad++;
    nack(b, f.seq, f.msg_id, EQP_ERR_BAD_CRC, 0, false, 0);
    return;
  case EQP_ERR_BAD_LENGTH:
    if (n < EQP_FRAME_OVERHEAD) { b->stats.rx_bad++; return; }
    b->last_valid_rx_ms = now(b);
    nack(b, f.seq, f.msg_id, EQP_ERR_BAD_LENGTH, detail, false, 0);
    return;
  case EQP_ERR_UNSUPPORTED_MAJOR:
    nack(b, f.seq, f.msg_id, EQP_ERR_UNSUPPORTED_MAJOR, b->cfg->wire_major, false, 0);
    return;
  default:
    b->last_valid_rx_ms = now(b);
    nack(b, f.seq, f.msg_id, (unsigned)rc, detail, false, 0);
    return;
  }
  b->last_valid_rx_ms = now(b);
  if (b->cfg->wire_major != EQP_PROTO_MAJOR) {
    nack(b, f.seq, f.msg_id, EQP_ERR_UNSUPPORTED_MAJOR, b->cfg->wire_major, false, 0);
    return;
  }
  if (f.msg_id == EQP_MSG_HEARTBEAT) return;
  crc = rd32(buf + n - 4u);
  {
    eqp_cache_entry_t *e = cache_find(b, f.seq, f.msg_id, crc);
    if (e) {
      /* a retry (SPEC 5.4): the finished command's reply again, or nothing while it still runs */
      if (e->done) {
        uint8_t copy[EQP_MAX_FRAME];
        memcpy(copy, e->reply, e->len);
        b->stats.replays++;
        send_frame(b, copy, e->len);
      }
      return;
    }
  }
  if (queued(b, buf, n)) return; /* a retry of a command waiting its turn: answered when it has run */
  if (f.msg_id != EQP_MSG_HELLO && f.msg_id != EQP_MSG_STOP && b->window > 1u &&
      (b->state == EQP_BOARD_STATE_READY || b->state == EQP_BOARD_STATE_BUSY)) {
    /* pipelined session (SPEC 5.3): strictly in seq order; a gap means an earlier command was lost */
    if (f.seq != b->expect_seq) {
      nack(b, f.seq, f.msg_id, EQP_ERR_OUT_OF_ORDER, b->expect_seq, false, 0);
      return;
    }
    if (b->state == EQP_BOARD_STATE_BUSY || b->queue_len > 0u) {
      eqp_queued_t *q;
      /* the running RELAX and the queue together hold at most `window` commands */
      if (b->queue_len + 1u >= b->window) {
        nack(b, f.seq, f.msg_id, EQP_ERR_BUSY, 0, false, 0);
        return;
      }
      q = &b->queue[(b->queue_head + b->queue_len) % EQP_BOARD_MAX_WINDOW];
      memcpy(q->frame, buf, n);
      q->len = n;
      b->queue_len++;
      b->expect_seq = (uint16_t)(f.seq + 1u);
      return;
    }
  }
  b->expect_seq = (uint16_t)(f.seq + 1u);
  execute(b, &f, crc);
}

/* Runs queued commands in order until one starts a relaxation or none is left. */
static void drain_queue(eqp_board_t *b)
{
  while (b->state == EQP_BOARD_STATE_READY && b->queue_len > 0u) {
    eqp_queued_t *q = &b->queue[b->queue_head];
    eqp_frame_t f;
    uint32_t detail = 0;
    uint8_t frame[EQP_MAX_FRAME];
    size_t n = q->len;
    memcpy(frame, q->frame, n);
    b->queue_head = (uint8_t)((b->queue_head + 1u) % EQP_BOARD_MAX_WINDOW);
    b->queue_len--;
    /* it passed every receive check when it arrived */
    if (eqp_message_decode(frame, n, b->session_max_frame, EQP_ROLE_BOARD, &f, &b->body, &detail) != EQP_OK) continue;
    execute(b, &f, rd32(frame + n - 4u));
  }
}

void eqp_board_rx(eqp_board_t *b, const uint8_t *bytes, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    uint32_t bad = b->rx.bad_cobs + b->rx.oversize;
    size_t len = eqp_cobs_rx_push(&b->rx, bytes[i]);
    b->stats.rx_bad += b->rx.bad_cobs + b->rx.oversize - bad;
    if (len > 0u) handle_frame(b, b->rx_buf, len);
  }
}

void eqp_board_poll(eqp_board_t *b)
{
  uint32_t t = now(b);
  b->hal->watchdog_tick(b->hal->ctx);
  if (b->reset_pending) {
    b->reset_pending = false;
    send_fault(b, EQP_FAULT_RESET, 0);
  }
  if (b->armed && t - b->last_valid_rx_ms > b->watchdog_ms) {
    /* the host went silent (SPEC 5.5) */
    uint32_t silent = t - b->last_valid_rx_ms;
    enter_safe(b);
    b->stats.watchdog_trips++;
    send_fault(b, EQP_FAULT_WATCHDOG, silent);
  } else if (t - b->last_tx_ms >= b->watchdog_ms / 4u) {
    eqp_heartbeat_body_t *h = &b->body.heartbeat;
    h->state = b->state;
    h->boot_counter = b->boot_counter;
    h->uptime_ms = t - b->boot_ms;
    h->rx_bad = b->stats.rx_bad;
    send_event(b, EQP_MSG_HEARTBEAT);
  }
  if (b->state == EQP_BOARD_STATE_BUSY) {
    poll_relax(b);
    drain_queue(b);
  }
}
