/* Bounded little-endian writer and reader used by the generated message codec.
 * Every access is length-checked; values are assembled byte by byte, so host endianness and
 * alignment do not matter. */
#ifndef EQP_WIRE_H
#define EQP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* f32 fields are IEEE-754 binary32 */
typedef char eqp_float_is_32_bits[sizeof(float) == 4 ? 1 : -1];

typedef struct {
  uint8_t *p;
  size_t cap;
  size_t len;
  bool overflow; /* set once a write did not fit; later writes are dropped */
} eqp_wr_t;

typedef struct {
  const uint8_t *p;
  size_t n;
  size_t pos;
  bool err;      /* set by the first read past the end; later reads return 0 */
  size_t err_at; /* payload offset of that read */
} eqp_rd_t;

static inline void eqp_wr_init(eqp_wr_t *w, uint8_t *p, size_t cap)
{
  w->p = p; w->cap = cap; w->len = 0; w->overflow = false;
}

static inline bool eqp_wr_room(eqp_wr_t *w, size_t k)
{
  if (w->overflow || k > w->cap - w->len) { w->overflow = true; return false; }
  return true;
}

static inline void eqp_wr_u8(eqp_wr_t *w, uint8_t v)
{
  if (eqp_wr_room(w, 1)) w->p[w->len++] = v;
}

static inline void eqp_wr_u16(eqp_wr_t *w, uint16_t v)
{
  if (!eqp_wr_room(w, 2)) return;
  w->p[w->len++] = (uint8_t)(v & 0xffu);
  w->p[w->len++] = (uint8_t)(v >> 8);
}

static inline void eqp_wr_u32(eqp_wr_t *w, uint32_t v)
{
  if (!eqp_wr_room(w, 4)) return;
  w->p[w->len++] = (uint8_t)(v & 0xffu);
  w->p[w->len++] = (uint8_t)((v >> 8) & 0xffu);
  w->p[w->len++] = (uint8_t)((v >> 16) & 0xffu);
  w->p[w->len++] = (uint8_t)(v >> 24);
}

static inline void eqp_wr_i8(eqp_wr_t *w, int8_t v) { eqp_wr_u8(w, (uint8_t)v); }
static inline void eqp_wr_i16(eqp_wr_t *w, int16_t v) { eqp_wr_u16(w, (uint16_t)v); }
static inline void eqp_wr_i32(eqp_wr_t *w, int32_t v) { eqp_wr_u32(w, (uint32_t)v); }
static inline void eqp_wr_bool(eqp_wr_t *w, bool v) { eqp_wr_u8(w, v ? 1u : 0u); }

static inline void eqp_wr_f32(eqp_wr_t *w, float v)
{
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  eqp_wr_u32(w, u);
}

/* Writes a length-prefixed printable-ASCII string of at most max characters.
 * Returns false (nothing written) if s is longer or holds a byte outside 0x20..0x7E. */
static inline bool eqp_wr_string(eqp_wr_t *w, const char *s, size_t max)
{
  size_t n = 0, i;
  while (n <= max && s[n] != '\0') n++;
  if (n > max) return false;
  for (i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c < 0x20u || c > 0x7eu) return false;
  }
  if (!eqp_wr_room(w, 1 + n)) return true;
  w->p[w->len++] = (uint8_t)n;
  memcpy(w->p + w->len, s, n);
  w->len += n;
  return true;
}

static inline void eqp_rd_init(eqp_rd_t *r, const uint8_t *p, size_t n)
{
  r->p = p; r->n = n; r->pos = 0; r->err = false; r->err_at = 0;
}

static inline bool eqp_rd_need(eqp_rd_t *r, size_t k)
{
  if (r->err) return false;
  if (k > r->n - r->pos) { r->err = true; r->err_at = r->pos; return false; }
  return true;
}

static inline uint8_t eqp_rd_u8(eqp_rd_t *r)
{
  if (!eqp_rd_need(r, 1)) return 0;
  return r->p[r->pos++];
}

static inline uint16_t eqp_rd_u16(eqp_rd_t *r)
{
  uint16_t v;
  if (!eqp_rd_need(r, 2)) return 0;
  v = (uint16_t)(r->p[r->pos] | ((uint16_t)r->p[r->pos + 1] << 8));
  r->pos += 2;
  return v;
}

static inline uint32_t eqp_rd_u32(eqp_rd_t *r)
{
  uint32_t v;
  if (!eqp_rd_need(r, 4)) return 0;
  v = (uint32_t)r->p[r->pos] | ((uint32_t)r->p[r->pos + 1] << 8) | ((uint32_t)r->p[r->pos + 2] << 16) |
      ((uint32_t)r->p[r->pos + 3] << 24);
  r->pos += 4;
  return v;
}

/* two's complement without implementation-defined conversions */
static inline int8_t eqp_rd_i8(eqp_rd_t *r)
{
  uint8_t u = eqp_rd_u8(r);
  return u < 0x80u ? (int8_t)u : (int8_t)((int)u - 0x100);
}

static inline int16_t eqp_rd_i16(eqp_rd_t *r)
{
  uint16_t u = eqp_rd_u16(r);
  return u < 0x8000u ? (int16_t)u : (int16_t)((int32_t)u - 0x10000);
}

static inline int32_t eqp_rd_i32(eqp_rd_t *r)
{
  uint32_t u = eqp_rd_u32(r);
  return u < 0x80000000u ? (int32_t)u : (int32_t)(u - 0x80000000u) - (int32_t)0x7fffffff - 1;
}

static inline float eqp_rd_f32(eqp_rd_t *r)
{
  uint32_t u = eqp_rd_u32(r);
  float v;
  memcpy(&v, &u, sizeof v);
  return v;
}

/* Reads a length-prefixed string into out (max + 1 bytes, NUL-terminated).
 * Returns false on its own failure (prefix missing, too long, truncated, non-printable);
 * returns true without reading if an earlier read already failed. */
static inline bool eqp_rd_string(eqp_rd_t *r, char *out, size_t max)
{
  size_t n, i;
  out[0] = '\0';
  if (r->err) return true;
  if (r->n - r->pos < 1) return false;
  n = r->p[r->pos];
  if (n > max || n > r->n - r->pos - 1) return false;
  for (i = 0; i < n; i++) {
    uint8_t c = r->p[r->pos + 1 + i];
    if (c < 0x20u || c > 0x7eu) return false;
    out[i] = (char)c;
  }
  out[n] = '\0';
  r->pos += 1 + n;
  return true;
}

#endif
