/* Generated from firmware-protocol/messages.json by firmware-protocol/gen/gen-c.ts. Do not edit;
 * run `node --import tsx firmware-protocol/gen/gen-c.ts` after changing the source. */

#include "messages_gen.h"

#include "eqp_wire.h"

static int fail(uint32_t *detail, size_t at)
{
  if (detail) *detail = (uint32_t)at;
  return EQP_ERR_BAD_PAYLOAD;
}

static int finish_read(const eqp_rd_t *r, uint32_t *detail)
{
  if (r->err) return fail(detail, r->err_at);
  if (detail) *detail = 0;
  return EQP_OK;
}

static int finish_write(const eqp_wr_t *w, size_t *len)
{
  if (w->overflow) return EQP_ERR_FRAME_TOO_LARGE;
  *len = w->len;
  return EQP_OK;
}

static bool valid_model(unsigned v)
{
  switch (v) {
  case EQP_MODEL_XY:
  case EQP_MODEL_OIM:
  case EQP_MODEL_RESISTOR:
  case EQP_MODEL_ISING:
    return true;
  default:
    return false;
  }
}

static bool valid_reports(unsigned v)
{
  switch (v) {
  case EQP_REPORTS_STATES:
  case EQP_REPORTS_STATES_EDGES:
    return true;
  default:
    return false;
  }
}

static bool valid_node_list(unsigned v)
{
  switch (v) {
  case EQP_NODE_LIST_CLAMPABLE:
  case EQP_NODE_LIST_NUDGEABLE:
    return true;
  default:
    return false;
  }
}

static bool valid_phase(unsigned v)
{
  switch (v) {
  case EQP_PHASE_FREE:
  case EQP_PHASE_NUDGED:
    return true;
  default:
    return false;
  }
}

static bool valid_nudge(unsigned v)
{
  switch (v) {
  case EQP_NUDGE_COST:
  case EQP_NUDGE_FORCE:
    return true;
  default:
    return false;
  }
}

static bool valid_cost(unsigned v)
{
  switch (v) {
  case EQP_COST_LOG_COS:
  case EQP_COST_ONE_MINUS_COS:
  case EQP_COST_SQUARED:
    return true;
  default:
    return false;
  }
}

static bool valid_start(unsigned v)
{
  switch (v) {
  case EQP_START_RANDOM:
  case EQP_START_PREVIOUS:
  case EQP_START_GIVEN:
  case EQP_START_READOUT:
    return true;
  default:
    return false;
  }
}

static bool valid_state_kind(unsigned v)
{
  switch (v) {
  case EQP_STATE_KIND_NODES:
  case EQP_STATE_KIND_EDGES:
    return true;
  default:
    return false;
  }
}

static bool valid_board_state(unsigned v)
{
  switch (v) {
  case EQP_BOARD_STATE_BOOT:
  case EQP_BOARD_STATE_READY:
  case EQP_BOARD_STATE_BUSY:
  case EQP_BOARD_STATE_SAFE:
  case EQP_BOARD_STATE_OFFLINE:
    return true;
  default:
    return false;
  }
}

static bool valid_learn_estimator(unsigned v)
{
  switch (v) {
  case EQP_LEARN_ESTIMATOR_ONE_SIDED:
    return true;
  default:
    return false;
  }
}

static void wr_range(eqp_wr_t *wp, const eqp_range_t *v)
{
  eqp_wr_f32(wp, v->min);
  eqp_wr_f32(wp, v->max);
  eqp_wr_u32(wp, v->levels);
}

static void rd_range(eqp_rd_t *rp, eqp_range_t *v)
{
  v->min = eqp_rd_f32(rp);
  v->max = eqp_rd_f32(rp);
  v->levels = eqp_rd_u32(rp);
}

static void wr_edge(eqp_wr_t *wp, const eqp_edge_t *v)
{
  eqp_wr_u16(wp, v->a);
  eqp_wr_u16(wp, v->b);
}

static void rd_edge(eqp_rd_t *rp, eqp_edge_t *v)
{
  v->a = eqp_rd_u16(rp);
  v->b = eqp_rd_u16(rp);
}

static void wr_clamp(eqp_wr_t *wp, const eqp_clamp_t *v)
{
  eqp_wr_u16(wp, v->node);
  eqp_wr_i16(wp, v->value);
}

static void rd_clamp(eqp_rd_t *rp, eqp_clamp_t *v)
{
  v->node = eqp_rd_u16(rp);
  v->value = eqp_rd_i16(rp);
}

int eqp_encode_hello(const eqp_hello_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->proto_minor);
  eqp_wr_u16(&w, m->max_frame);
  eqp_wr_u32(&w, m->watchdog_ms);
  if (m->window != 0u) eqp_wr_u8(&w, m->window);
  return finish_write(&w, len);
}

int eqp_decode_hello(const uint8_t *p, size_t n, eqp_hello_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->proto_minor = eqp_rd_u8(&r);
  m->max_frame = eqp_rd_u16(&r);
  m->watchdog_ms = eqp_rd_u32(&r);
  m->window = 0;
  if (!r.err && r.pos < r.n) m->window = eqp_rd_u8(&r);
  return finish_read(&r, detail);
}

int eqp_encode_device_info(const eqp_device_info_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  if (!valid_model(m->model)) return EQP_ERR_BAD_PAYLOAD;
  if (!valid_reports(m->reports)) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->proto_minor);
  eqp_wr_u8(&w, m->model);
  eqp_wr_u8(&w, m->reports);
  eqp_wr_u16(&w, m->capabilities);
  eqp_wr_u8(&w, m->costs);
  eqp_wr_u16(&w, m->max_frame);
  eqp_wr_u16(&w, m->max_batch);
  eqp_wr_u16(&w, m->node_count);
  eqp_wr_u32(&w, m->edge_count);
  eqp_wr_u16(&w, m->clampable_count);
  eqp_wr_u16(&w, m->nudgeable_count);
  wr_range(&w, &m->coupling);
  wr_range(&w, &m->bias);
  eqp_wr_f32(&w, m->state_lsb);
  eqp_wr_f32(&w, m->edge_lsb);
  eqp_wr_u32(&w, m->watchdog_ms);
  eqp_wr_u32(&w, m->boot_counter);
  if (!eqp_wr_string(&w, m->uid, 32u)) return EQP_ERR_BAD_PAYLOAD;
  if (!eqp_wr_string(&w, m->firmware, 32u)) return EQP_ERR_BAD_PAYLOAD;
  if (m->window != 0u) eqp_wr_u8(&w, m->window);
  return finish_write(&w, len);
}

int eqp_decode_device_info(const uint8_t *p, size_t n, eqp_device_info_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  eqp_rd_init(&r, p, n);
  m->proto_minor = eqp_rd_u8(&r);
  at = r.pos;
  m->model = eqp_rd_u8(&r);
  if (!r.err && !valid_model(m->model)) return fail(detail, at);
  at = r.pos;
  m->reports = eqp_rd_u8(&r);
  if (!r.err && !valid_reports(m->reports)) return fail(detail, at);
  m->capabilities = eqp_rd_u16(&r);
  m->costs = eqp_rd_u8(&r);
  m->max_frame = eqp_rd_u16(&r);
  m->max_batch = eqp_rd_u16(&r);
  m->node_count = eqp_rd_u16(&r);
  m->edge_count = eqp_rd_u32(&r);
  m->clampable_count = eqp_rd_u16(&r);
  m->nudgeable_count = eqp_rd_u16(&r);
  rd_range(&r, &m->coupling);
  rd_range(&r, &m->bias);
  m->state_lsb = eqp_rd_f32(&r);
  m->edge_lsb = eqp_rd_f32(&r);
  m->watchdog_ms = eqp_rd_u32(&r);
  m->boot_counter = eqp_rd_u32(&r);
  at = r.pos;
  if (!eqp_rd_string(&r, m->uid, 32u)) return fail(detail, at);
  at = r.pos;
  if (!eqp_rd_string(&r, m->firmware, 32u)) return fail(detail, at);
  m->window = 0;
  if (!r.err && r.pos < r.n) m->window = eqp_rd_u8(&r);
  return finish_read(&r, detail);
}

int eqp_encode_get_edges(const eqp_get_edges_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u16(&w, m->count);
  return finish_write(&w, len);
}

int eqp_decode_get_edges(const uint8_t *p, size_t n, eqp_get_edges_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->offset = eqp_rd_u32(&r);
  m->count = eqp_rd_u16(&r);
  return finish_read(&r, detail);
}

int eqp_encode_edges(const eqp_edges_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->edges_count > EQP_EDGES_EDGES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u32(&w, m->total);
  eqp_wr_u16(&w, m->edges_count);
  for (i = 0; i < m->edges_count; i++) wr_edge(&w, &m->edges[i]);
  return finish_write(&w, len);
}

int eqp_decode_edges(const uint8_t *p, size_t n, eqp_edges_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->offset = eqp_rd_u32(&r);
  m->total = eqp_rd_u32(&r);
  at = r.pos;
  m->edges_count = eqp_rd_u16(&r);
  if (r.err) {
    m->edges_count = 0;
  } else {
    if (m->edges_count > EQP_EDGES_EDGES_MAX || (size_t)m->edges_count * 4u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->edges_count; i++) rd_edge(&r, &m->edges[i]);
  }
  return finish_read(&r, detail);
}

int eqp_encode_get_node_list(const eqp_get_node_list_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  if (!valid_node_list(m->list)) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->list);
  eqp_wr_u16(&w, m->offset);
  eqp_wr_u16(&w, m->count);
  return finish_write(&w, len);
}

int eqp_decode_get_node_list(const uint8_t *p, size_t n, eqp_get_node_list_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  eqp_rd_init(&r, p, n);
  at = r.pos;
  m->list = eqp_rd_u8(&r);
  if (!r.err && !valid_node_list(m->list)) return fail(detail, at);
  m->offset = eqp_rd_u16(&r);
  m->count = eqp_rd_u16(&r);
  return finish_read(&r, detail);
}

int eqp_encode_node_list(const eqp_node_list_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (!valid_node_list(m->list)) return EQP_ERR_BAD_PAYLOAD;
  if (m->nodes_count > EQP_NODE_LIST_NODES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->list);
  eqp_wr_u16(&w, m->offset);
  eqp_wr_u16(&w, m->total);
  eqp_wr_u16(&w, m->nodes_count);
  for (i = 0; i < m->nodes_count; i++) eqp_wr_u16(&w, m->nodes[i]);
  return finish_write(&w, len);
}

int eqp_decode_node_list(const uint8_t *p, size_t n, eqp_node_list_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  at = r.pos;
  m->list = eqp_rd_u8(&r);
  if (!r.err && !valid_node_list(m->list)) return fail(detail, at);
  m->offset = eqp_rd_u16(&r);
  m->total = eqp_rd_u16(&r);
  at = r.pos;
  m->nodes_count = eqp_rd_u16(&r);
  if (r.err) {
    m->nodes_count = 0;
  } else {
    if (m->nodes_count > EQP_NODE_LIST_NODES_MAX || (size_t)m->nodes_count * 2u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->nodes_count; i++) m->nodes[i] = eqp_rd_u16(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_set_params(const eqp_set_params_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->values_count > EQP_SET_PARAMS_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_f32(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_set_params(const uint8_t *p, size_t n, eqp_set_params_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->offset = eqp_rd_u32(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_SET_PARAMS_VALUES_MAX || (size_t)m->values_count * 4u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_f32(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_update_params(const eqp_update_params_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->deltas_count > EQP_UPDATE_PARAMS_DELTAS_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u16(&w, m->deltas_count);
  for (i = 0; i < m->deltas_count; i++) eqp_wr_f32(&w, m->deltas[i]);
  return finish_write(&w, len);
}

int eqp_decode_update_params(const uint8_t *p, size_t n, eqp_update_params_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->offset = eqp_rd_u32(&r);
  at = r.pos;
  m->deltas_count = eqp_rd_u16(&r);
  if (r.err) {
    m->deltas_count = 0;
  } else {
    if (m->deltas_count > EQP_UPDATE_PARAMS_DELTAS_MAX || (size_t)m->deltas_count * 4u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->deltas_count; i++) m->deltas[i] = eqp_rd_f32(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_get_params(const eqp_get_params_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u16(&w, m->count);
  return finish_write(&w, len);
}

int eqp_decode_get_params(const uint8_t *p, size_t n, eqp_get_params_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->offset = eqp_rd_u32(&r);
  m->count = eqp_rd_u16(&r);
  return finish_read(&r, detail);
}

int eqp_encode_params(const eqp_params_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->values_count > EQP_PARAMS_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u32(&w, m->total);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_f32(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_params(const uint8_t *p, size_t n, eqp_params_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->offset = eqp_rd_u32(&r);
  m->total = eqp_rd_u32(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_PARAMS_VALUES_MAX || (size_t)m->values_count * 4u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_f32(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_clamp(const eqp_clamp_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->clamps_count > EQP_CLAMP_CLAMPS_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->sample);
  eqp_wr_bool(&w, m->replace);
  eqp_wr_u16(&w, m->clamps_count);
  for (i = 0; i < m->clamps_count; i++) wr_clamp(&w, &m->clamps[i]);
  return finish_write(&w, len);
}

int eqp_decode_clamp(const uint8_t *p, size_t n, eqp_clamp_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  uint8_t b;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->sample = eqp_rd_u16(&r);
  at = r.pos;
  b = eqp_rd_u8(&r);
  if (!r.err && b > 1u) return fail(detail, at);
  m->replace = b != 0u;
  at = r.pos;
  m->clamps_count = eqp_rd_u16(&r);
  if (r.err) {
    m->clamps_count = 0;
  } else {
    if (m->clamps_count > EQP_CLAMP_CLAMPS_MAX || (size_t)m->clamps_count * 4u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->clamps_count; i++) rd_clamp(&r, &m->clamps[i]);
  }
  return finish_read(&r, detail);
}

int eqp_encode_set_targets(const eqp_set_targets_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->values_count > EQP_SET_TARGETS_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->sample);
  eqp_wr_u16(&w, m->offset);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_i16(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_set_targets(const uint8_t *p, size_t n, eqp_set_targets_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->sample = eqp_rd_u16(&r);
  m->offset = eqp_rd_u16(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_SET_TARGETS_VALUES_MAX || (size_t)m->values_count * 2u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_i16(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_set_force(const eqp_set_force_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->values_count > EQP_SET_FORCE_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->sample);
  eqp_wr_u16(&w, m->offset);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_f32(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_set_force(const uint8_t *p, size_t n, eqp_set_force_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->sample = eqp_rd_u16(&r);
  m->offset = eqp_rd_u16(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_SET_FORCE_VALUES_MAX || (size_t)m->values_count * 4u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_f32(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_set_start(const eqp_set_start_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->values_count > EQP_SET_START_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->sample);
  eqp_wr_u16(&w, m->offset);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_i16(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_set_start(const uint8_t *p, size_t n, eqp_set_start_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->sample = eqp_rd_u16(&r);
  m->offset = eqp_rd_u16(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_SET_START_VALUES_MAX || (size_t)m->values_count * 2u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_i16(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_relax(const eqp_relax_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  if (!valid_phase(m->phase)) return EQP_ERR_BAD_PAYLOAD;
  if (!valid_nudge(m->nudge)) return EQP_ERR_BAD_PAYLOAD;
  if (!valid_cost(m->cost)) return EQP_ERR_BAD_PAYLOAD;
  if (!valid_start(m->start)) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->batch);
  eqp_wr_u8(&w, m->phase);
  eqp_wr_u8(&w, m->nudge);
  eqp_wr_u8(&w, m->cost);
  eqp_wr_u8(&w, m->start);
  eqp_wr_f32(&w, m->beta);
  eqp_wr_u32(&w, m->seed);
  eqp_wr_u32(&w, m->budget_us);
  eqp_wr_u32(&w, m->max_steps);
  return finish_write(&w, len);
}

int eqp_decode_relax(const uint8_t *p, size_t n, eqp_relax_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  eqp_rd_init(&r, p, n);
  m->batch = eqp_rd_u16(&r);
  at = r.pos;
  m->phase = eqp_rd_u8(&r);
  if (!r.err && !valid_phase(m->phase)) return fail(detail, at);
  at = r.pos;
  m->nudge = eqp_rd_u8(&r);
  if (!r.err && !valid_nudge(m->nudge)) return fail(detail, at);
  at = r.pos;
  m->cost = eqp_rd_u8(&r);
  if (!r.err && !valid_cost(m->cost)) return fail(detail, at);
  at = r.pos;
  m->start = eqp_rd_u8(&r);
  if (!r.err && !valid_start(m->start)) return fail(detail, at);
  m->beta = eqp_rd_f32(&r);
  m->seed = eqp_rd_u32(&r);
  m->budget_us = eqp_rd_u32(&r);
  m->max_steps = eqp_rd_u32(&r);
  return finish_read(&r, detail);
}

int eqp_encode_relax_done(const eqp_relax_done_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->batch);
  eqp_wr_u16(&w, m->settled);
  eqp_wr_u32(&w, m->elapsed_us);
  return finish_write(&w, len);
}

int eqp_decode_relax_done(const uint8_t *p, size_t n, eqp_relax_done_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->batch = eqp_rd_u16(&r);
  m->settled = eqp_rd_u16(&r);
  m->elapsed_us = eqp_rd_u32(&r);
  return finish_read(&r, detail);
}

int eqp_encode_get_state(const eqp_get_state_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  if (!valid_state_kind(m->kind)) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->sample);
  eqp_wr_u8(&w, m->kind);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u16(&w, m->count);
  return finish_write(&w, len);
}

int eqp_decode_get_state(const uint8_t *p, size_t n, eqp_get_state_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  eqp_rd_init(&r, p, n);
  m->sample = eqp_rd_u16(&r);
  at = r.pos;
  m->kind = eqp_rd_u8(&r);
  if (!r.err && !valid_state_kind(m->kind)) return fail(detail, at);
  m->offset = eqp_rd_u32(&r);
  m->count = eqp_rd_u16(&r);
  return finish_read(&r, detail);
}

int eqp_encode_state(const eqp_state_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (!valid_state_kind(m->kind)) return EQP_ERR_BAD_PAYLOAD;
  if (m->values_count > EQP_STATE_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->sample);
  eqp_wr_u8(&w, m->kind);
  eqp_wr_bool(&w, m->settled);
  eqp_wr_u32(&w, m->steps);
  eqp_wr_f32(&w, m->energy);
  eqp_wr_u32(&w, m->offset);
  eqp_wr_u32(&w, m->total);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_i16(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_state(const uint8_t *p, size_t n, eqp_state_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  uint8_t b;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->sample = eqp_rd_u16(&r);
  at = r.pos;
  m->kind = eqp_rd_u8(&r);
  if (!r.err && !valid_state_kind(m->kind)) return fail(detail, at);
  at = r.pos;
  b = eqp_rd_u8(&r);
  if (!r.err && b > 1u) return fail(detail, at);
  m->settled = b != 0u;
  m->steps = eqp_rd_u32(&r);
  m->energy = eqp_rd_f32(&r);
  m->offset = eqp_rd_u32(&r);
  m->total = eqp_rd_u32(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_STATE_VALUES_MAX || (size_t)m->values_count * 2u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_i16(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_stop(const eqp_stop_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  (void)m;
  eqp_wr_init(&w, out, cap);
  return finish_write(&w, len);
}

int eqp_decode_stop(const uint8_t *p, size_t n, eqp_stop_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->reserved_ = 0;
  return finish_read(&r, detail);
}

int eqp_encode_ack(const eqp_ack_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->ref);
  return finish_write(&w, len);
}

int eqp_decode_ack(const uint8_t *p, size_t n, eqp_ack_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->ref = eqp_rd_u8(&r);
  return finish_read(&r, detail);
}

int eqp_encode_nack(const eqp_nack_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->ref);
  eqp_wr_u16(&w, m->code);
  eqp_wr_u32(&w, m->detail);
  return finish_write(&w, len);
}

int eqp_decode_nack(const uint8_t *p, size_t n, eqp_nack_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->ref = eqp_rd_u8(&r);
  m->code = eqp_rd_u16(&r);
  m->detail = eqp_rd_u32(&r);
  return finish_read(&r, detail);
}

int eqp_encode_heartbeat(const eqp_heartbeat_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  if (!valid_board_state(m->state)) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u8(&w, m->state);
  eqp_wr_u32(&w, m->boot_counter);
  eqp_wr_u32(&w, m->uptime_ms);
  eqp_wr_u32(&w, m->rx_bad);
  return finish_write(&w, len);
}

int eqp_decode_heartbeat(const uint8_t *p, size_t n, eqp_heartbeat_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  eqp_rd_init(&r, p, n);
  at = r.pos;
  m->state = eqp_rd_u8(&r);
  if (!r.err && !valid_board_state(m->state)) return fail(detail, at);
  m->boot_counter = eqp_rd_u32(&r);
  m->uptime_ms = eqp_rd_u32(&r);
  m->rx_bad = eqp_rd_u32(&r);
  return finish_read(&r, detail);
}

int eqp_encode_fault(const eqp_fault_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->code);
  eqp_wr_u32(&w, m->detail);
  return finish_write(&w, len);
}

int eqp_decode_fault(const uint8_t *p, size_t n, eqp_fault_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->code = eqp_rd_u16(&r);
  m->detail = eqp_rd_u32(&r);
  return finish_read(&r, detail);
}

int eqp_encode_learn_config(const eqp_learn_config_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  if (!valid_learn_estimator(m->estimator)) return EQP_ERR_BAD_PAYLOAD;
  if (!valid_cost(m->cost)) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_f32(&w, m->eta);
  eqp_wr_f32(&w, m->bias_eta);
  eqp_wr_f32(&w, m->beta);
  eqp_wr_u8(&w, m->estimator);
  eqp_wr_u8(&w, m->cost);
  return finish_write(&w, len);
}

int eqp_decode_learn_config(const uint8_t *p, size_t n, eqp_learn_config_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  eqp_rd_init(&r, p, n);
  m->eta = eqp_rd_f32(&r);
  m->bias_eta = eqp_rd_f32(&r);
  m->beta = eqp_rd_f32(&r);
  at = r.pos;
  m->estimator = eqp_rd_u8(&r);
  if (!r.err && !valid_learn_estimator(m->estimator)) return fail(detail, at);
  at = r.pos;
  m->cost = eqp_rd_u8(&r);
  if (!r.err && !valid_cost(m->cost)) return fail(detail, at);
  return finish_read(&r, detail);
}

int eqp_encode_learn_free(const eqp_learn_free_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->samples_count > EQP_LEARN_FREE_SAMPLES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->batch);
  eqp_wr_u32(&w, m->seed);
  eqp_wr_u32(&w, m->budget_us);
  eqp_wr_u32(&w, m->max_steps);
  eqp_wr_u16(&w, m->samples_count);
  for (i = 0; i < m->samples_count; i++) eqp_wr_i16(&w, m->samples[i]);
  return finish_write(&w, len);
}

int eqp_decode_learn_free(const uint8_t *p, size_t n, eqp_learn_free_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->batch = eqp_rd_u16(&r);
  m->seed = eqp_rd_u32(&r);
  m->budget_us = eqp_rd_u32(&r);
  m->max_steps = eqp_rd_u32(&r);
  at = r.pos;
  m->samples_count = eqp_rd_u16(&r);
  if (r.err) {
    m->samples_count = 0;
  } else {
    if (m->samples_count > EQP_LEARN_FREE_SAMPLES_MAX || (size_t)m->samples_count * 2u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->samples_count; i++) m->samples[i] = eqp_rd_i16(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_learn_outputs(const eqp_learn_outputs_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  size_t i;
  if (m->values_count > EQP_LEARN_OUTPUTS_VALUES_MAX) return EQP_ERR_BAD_PAYLOAD;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->batch);
  eqp_wr_u16(&w, m->settled);
  eqp_wr_u32(&w, m->elapsed_us);
  eqp_wr_u16(&w, m->values_count);
  for (i = 0; i < m->values_count; i++) eqp_wr_i16(&w, m->values[i]);
  return finish_write(&w, len);
}

int eqp_decode_learn_outputs(const uint8_t *p, size_t n, eqp_learn_outputs_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  size_t at;
  size_t i;
  eqp_rd_init(&r, p, n);
  m->batch = eqp_rd_u16(&r);
  m->settled = eqp_rd_u16(&r);
  m->elapsed_us = eqp_rd_u32(&r);
  at = r.pos;
  m->values_count = eqp_rd_u16(&r);
  if (r.err) {
    m->values_count = 0;
  } else {
    if (m->values_count > EQP_LEARN_OUTPUTS_VALUES_MAX || (size_t)m->values_count * 2u > r.n - r.pos) return fail(detail, at);
    for (i = 0; i < m->values_count; i++) m->values[i] = eqp_rd_i16(&r);
  }
  return finish_read(&r, detail);
}

int eqp_encode_learn_nudged(const eqp_learn_nudged_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  eqp_wr_init(&w, out, cap);
  eqp_wr_u16(&w, m->batch);
  eqp_wr_u32(&w, m->budget_us);
  eqp_wr_u32(&w, m->max_steps);
  return finish_write(&w, len);
}

int eqp_decode_learn_nudged(const uint8_t *p, size_t n, eqp_learn_nudged_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->batch = eqp_rd_u16(&r);
  m->budget_us = eqp_rd_u32(&r);
  m->max_steps = eqp_rd_u32(&r);
  return finish_read(&r, detail);
}

int eqp_encode_learn_commit(const eqp_learn_commit_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  (void)m;
  eqp_wr_init(&w, out, cap);
  return finish_write(&w, len);
}

int eqp_decode_learn_commit(const uint8_t *p, size_t n, eqp_learn_commit_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->reserved_ = 0;
  return finish_read(&r, detail);
}

int eqp_encode_learn_discard(const eqp_learn_discard_body_t *m, uint8_t *out, size_t cap, size_t *len)
{
  eqp_wr_t w;
  (void)m;
  eqp_wr_init(&w, out, cap);
  return finish_write(&w, len);
}

int eqp_decode_learn_discard(const uint8_t *p, size_t n, eqp_learn_discard_body_t *m, uint32_t *detail)
{
  eqp_rd_t r;
  eqp_rd_init(&r, p, n);
  m->reserved_ = 0;
  return finish_read(&r, detail);
}

int eqp_encode_body(uint8_t id, const eqp_body_t *b, uint8_t *out, size_t cap, size_t *len)
{
  switch (id) {
  case EQP_MSG_HELLO: return eqp_encode_hello(&b->hello, out, cap, len);
  case EQP_MSG_DEVICE_INFO: return eqp_encode_device_info(&b->device_info, out, cap, len);
  case EQP_MSG_GET_EDGES: return eqp_encode_get_edges(&b->get_edges, out, cap, len);
  case EQP_MSG_EDGES: return eqp_encode_edges(&b->edges, out, cap, len);
  case EQP_MSG_GET_NODE_LIST: return eqp_encode_get_node_list(&b->get_node_list, out, cap, len);
  case EQP_MSG_NODE_LIST: return eqp_encode_node_list(&b->node_list, out, cap, len);
  case EQP_MSG_SET_PARAMS: return eqp_encode_set_params(&b->set_params, out, cap, len);
  case EQP_MSG_UPDATE_PARAMS: return eqp_encode_update_params(&b->update_params, out, cap, len);
  case EQP_MSG_GET_PARAMS: return eqp_encode_get_params(&b->get_params, out, cap, len);
  case EQP_MSG_PARAMS: return eqp_encode_params(&b->params, out, cap, len);
  case EQP_MSG_CLAMP: return eqp_encode_clamp(&b->clamp, out, cap, len);
  case EQP_MSG_SET_TARGETS: return eqp_encode_set_targets(&b->set_targets, out, cap, len);
  case EQP_MSG_SET_FORCE: return eqp_encode_set_force(&b->set_force, out, cap, len);
  case EQP_MSG_SET_START: return eqp_encode_set_start(&b->set_start, out, cap, len);
  case EQP_MSG_RELAX: return eqp_encode_relax(&b->relax, out, cap, len);
  case EQP_MSG_RELAX_DONE: return eqp_encode_relax_done(&b->relax_done, out, cap, len);
  case EQP_MSG_GET_STATE: return eqp_encode_get_state(&b->get_state, out, cap, len);
  case EQP_MSG_STATE: return eqp_encode_state(&b->state, out, cap, len);
  case EQP_MSG_STOP: return eqp_encode_stop(&b->stop, out, cap, len);
  case EQP_MSG_ACK: return eqp_encode_ack(&b->ack, out, cap, len);
  case EQP_MSG_NACK: return eqp_encode_nack(&b->nack, out, cap, len);
  case EQP_MSG_HEARTBEAT: return eqp_encode_heartbeat(&b->heartbeat, out, cap, len);
  case EQP_MSG_FAULT: return eqp_encode_fault(&b->fault, out, cap, len);
  case EQP_MSG_LEARN_CONFIG: return eqp_encode_learn_config(&b->learn_config, out, cap, len);
  case EQP_MSG_LEARN_FREE: return eqp_encode_learn_free(&b->learn_free, out, cap, len);
  case EQP_MSG_LEARN_OUTPUTS: return eqp_encode_learn_outputs(&b->learn_outputs, out, cap, len);
  case EQP_MSG_LEARN_NUDGED: return eqp_encode_learn_nudged(&b->learn_nudged, out, cap, len);
  case EQP_MSG_LEARN_COMMIT: return eqp_encode_learn_commit(&b->learn_commit, out, cap, len);
  case EQP_MSG_LEARN_DISCARD: return eqp_encode_learn_discard(&b->learn_discard, out, cap, len);
  default: return EQP_ERR_UNKNOWN_MESSAGE;
  }
}

int eqp_decode_body(uint8_t id, const uint8_t *p, size_t n, eqp_body_t *b, uint32_t *detail)
{
  if (detail) *detail = id;
  switch (id) {
  case EQP_MSG_HELLO: return eqp_decode_hello(p, n, &b->hello, detail);
  case EQP_MSG_DEVICE_INFO: return eqp_decode_device_info(p, n, &b->device_info, detail);
  case EQP_MSG_GET_EDGES: return eqp_decode_get_edges(p, n, &b->get_edges, detail);
  case EQP_MSG_EDGES: return eqp_decode_edges(p, n, &b->edges, detail);
  case EQP_MSG_GET_NODE_LIST: return eqp_decode_get_node_list(p, n, &b->get_node_list, detail);
  case EQP_MSG_NODE_LIST: return eqp_decode_node_list(p, n, &b->node_list, detail);
  case EQP_MSG_SET_PARAMS: return eqp_decode_set_params(p, n, &b->set_params, detail);
  case EQP_MSG_UPDATE_PARAMS: return eqp_decode_update_params(p, n, &b->update_params, detail);
  case EQP_MSG_GET_PARAMS: return eqp_decode_get_params(p, n, &b->get_params, detail);
  case EQP_MSG_PARAMS: return eqp_decode_params(p, n, &b->params, detail);
  case EQP_MSG_CLAMP: return eqp_decode_clamp(p, n, &b->clamp, detail);
  case EQP_MSG_SET_TARGETS: return eqp_decode_set_targets(p, n, &b->set_targets, detail);
  case EQP_MSG_SET_FORCE: return eqp_decode_set_force(p, n, &b->set_force, detail);
  case EQP_MSG_SET_START: return eqp_decode_set_start(p, n, &b->set_start, detail);
  case EQP_MSG_RELAX: return eqp_decode_relax(p, n, &b->relax, detail);
  case EQP_MSG_RELAX_DONE: return eqp_decode_relax_done(p, n, &b->relax_done, detail);
  case EQP_MSG_GET_STATE: return eqp_decode_get_state(p, n, &b->get_state, detail);
  case EQP_MSG_STATE: return eqp_decode_state(p, n, &b->state, detail);
  case EQP_MSG_STOP: return eqp_decode_stop(p, n, &b->stop, detail);
  case EQP_MSG_ACK: return eqp_decode_ack(p, n, &b->ack, detail);
  case EQP_MSG_NACK: return eqp_decode_nack(p, n, &b->nack, detail);
  case EQP_MSG_HEARTBEAT: return eqp_decode_heartbeat(p, n, &b->heartbeat, detail);
  case EQP_MSG_FAULT: return eqp_decode_fault(p, n, &b->fault, detail);
  case EQP_MSG_LEARN_CONFIG: return eqp_decode_learn_config(p, n, &b->learn_config, detail);
  case EQP_MSG_LEARN_FREE: return eqp_decode_learn_free(p, n, &b->learn_free, detail);
  case EQP_MSG_LEARN_OUTPUTS: return eqp_decode_learn_outputs(p, n, &b->learn_outputs, detail);
  case EQP_MSG_LEARN_NUDGED: return eqp_decode_learn_nudged(p, n, &b->learn_nudged, detail);
  case EQP_MSG_LEARN_COMMIT: return eqp_decode_learn_commit(p, n, &b->learn_commit, detail);
  case EQP_MSG_LEARN_DISCARD: return eqp_decode_learn_discard(p, n, &b->learn_discard, detail);
  default: return EQP_ERR_UNKNOWN_MESSAGE;
  }
}

int eqp_msg_dir(uint8_t id)
{
  switch (id) {
  case EQP_MSG_HELLO: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_DEVICE_INFO: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_GET_EDGES: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_EDGES: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_GET_NODE_LIST: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_NODE_LIST: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_SET_PARAMS: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_UPDATE_PARAMS: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_GET_PARAMS: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_PARAMS: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_CLAMP: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_SET_TARGETS: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_SET_FORCE: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_SET_START: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_RELAX: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_RELAX_DONE: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_GET_STATE: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_STATE: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_STOP: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_ACK: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_NACK: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_HEARTBEAT: return EQP_DIR_BOTH;
  case EQP_MSG_FAULT: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_LEARN_CONFIG: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_LEARN_FREE: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_LEARN_OUTPUTS: return EQP_DIR_BOARD_TO_HOST;
  case EQP_MSG_LEARN_NUDGED: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_LEARN_COMMIT: return EQP_DIR_HOST_TO_BOARD;
  case EQP_MSG_LEARN_DISCARD: return EQP_DIR_HOST_TO_BOARD;
  default: return 0;
  }
}

const char *eqp_msg_name(uint8_t id)
{
  switch (id) {
  case EQP_MSG_HELLO: return "HELLO";
  case EQP_MSG_DEVICE_INFO: return "DEVICE_INFO";
  case EQP_MSG_GET_EDGES: return "GET_EDGES";
  case EQP_MSG_EDGES: return "EDGES";
  case EQP_MSG_GET_NODE_LIST: return "GET_NODE_LIST";
  case EQP_MSG_NODE_LIST: return "NODE_LIST";
  case EQP_MSG_SET_PARAMS: return "SET_PARAMS";
  case EQP_MSG_UPDATE_PARAMS: return "UPDATE_PARAMS";
  case EQP_MSG_GET_PARAMS: return "GET_PARAMS";
  case EQP_MSG_PARAMS: return "PARAMS";
  case EQP_MSG_CLAMP: return "CLAMP";
  case EQP_MSG_SET_TARGETS: return "SET_TARGETS";
  case EQP_MSG_SET_FORCE: return "SET_FORCE";
  case EQP_MSG_SET_START: return "SET_START";
  case EQP_MSG_RELAX: return "RELAX";
  case EQP_MSG_RELAX_DONE: return "RELAX_DONE";
  case EQP_MSG_GET_STATE: return "GET_STATE";
  case EQP_MSG_STATE: return "STATE";
  case EQP_MSG_STOP: return "STOP";
  case EQP_MSG_ACK: return "ACK";
  case EQP_MSG_NACK: return "NACK";
  case EQP_MSG_HEARTBEAT: return "HEARTBEAT";
  case EQP_MSG_FAULT: return "FAULT";
  case EQP_MSG_LEARN_CONFIG: return "LEARN_CONFIG";
  case EQP_MSG_LEARN_FREE: return "LEARN_FREE";
  case EQP_MSG_LEARN_OUTPUTS: return "LEARN_OUTPUTS";
  case EQP_MSG_LEARN_NUDGED: return "LEARN_NUDGED";
  case EQP_MSG_LEARN_COMMIT: return "LEARN_COMMIT";
  case EQP_MSG_LEARN_DISCARD: return "LEARN_DISCARD";
  default: return NULL;
  }
}

const char *eqp_error_name(unsigned code)
{
  switch (code) {
  case EQP_OK: return "OK";
  case EQP_ERR_BAD_COBS: return "BAD_COBS";
  case EQP_ERR_FRAME_TOO_LARGE: return "FRAME_TOO_LARGE";
  case EQP_ERR_BAD_LENGTH: return "BAD_LENGTH";
  case EQP_ERR_BAD_CRC: return "BAD_CRC";
  case EQP_ERR_UNSUPPORTED_MAJOR: return "UNSUPPORTED_MAJOR";
  case EQP_ERR_UNKNOWN_INCOMPATIBLE_FLAG: return "UNKNOWN_INCOMPATIBLE_FLAG";
  case EQP_ERR_UNKNOWN_MESSAGE: return "UNKNOWN_MESSAGE";
  case EQP_ERR_BAD_PAYLOAD: return "BAD_PAYLOAD";
  case EQP_ERR_OUT_OF_RANGE: return "OUT_OF_RANGE";
  case EQP_ERR_UNSUPPORTED: return "UNSUPPORTED";
  case EQP_ERR_BUSY: return "BUSY";
  case EQP_ERR_NOT_READY: return "NOT_READY";
  case EQP_ERR_NO_PREVIOUS: return "NO_PREVIOUS";
  case EQP_ERR_INTERNAL: return "INTERNAL";
  case EQP_ERR_LEARN_NOT_CONFIGURED: return "LEARN_NOT_CONFIGURED";
  case EQP_ERR_OUT_OF_ORDER: return "OUT_OF_ORDER";
  default: return NULL;
  }
}
