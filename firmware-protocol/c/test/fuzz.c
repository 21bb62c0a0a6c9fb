/* Bounded fuzzer for the C receive path (build with ASan + UBSan: any memory error or undefined
 * behaviour aborts). Feeds random bytes, mutated valid frames and valid frames with random payloads
 * through the streaming COBS receiver and the frame/message decoder, and checks the bookkeeping:
 * every delimited segment is counted exactly once, every decoded frame is a message or an error
 * with a known code, and every accepted message re-encodes to a canonical form that decodes again.
 * Usage: fuzz [iterations] [seed] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../eqp_cobs.h"
#include "../eqp_frame.h"
#include "vectors_gen.h"

static uint32_t rng = 1;

static uint32_t next(void)
{
  /* xorshift32 */
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static size_t below(size_t n) { return n == 0 ? 0 : (size_t)(next() % (uint32_t)n); }

#define STREAM_CAP 8192
static uint8_t stream[STREAM_CAP];
static size_t stream_len;
static uint8_t rxbuf[EQP_COBS_MAX_ENCODED(EQP_MAX_FRAME)];
static uint8_t tmp[EQP_COBS_MAX_ENCODED(EQP_MAX_FRAME) + 16];
static uint8_t enc1[EQP_MAX_FRAME], enc2[EQP_MAX_FRAME];

static unsigned long segments, messages, errors_by_code[64], reencoded;
static int failed;

static void put(uint8_t b)
{
  if (stream_len < STREAM_CAP) stream[stream_len++] = b;
}

static void put_bytes(const uint8_t *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) put(p[i]);
}

static void fail(const char *what, size_t iter)
{
  printf("FAIL iteration %u: %s\n", (unsigned)iter, what);
  failed = 1;
}

/* a corpus frame, mutated 1..4 times */
static void gen_mutated(void)
{
  const pos_vec_t *v = &POS_VECS[below(N_OF(POS_VECS))];
  size_t n = v->serial_len, k, m = 1 + below(4);
  memcpy(tmp, v->serial, n);
  for (k = 0; k < m && n > 0; k++) {
    size_t at = below(n);
    switch (below(7)) {
    case 0: tmp[at] ^= (uint8_t)(1u << below(8)); break;
    case 1: tmp[at] = (uint8_t)next(); break;
    case 2: if (n < sizeof tmp - 1) { memmove(tmp + at + 1, tmp + at, n - at); tmp[at] = (uint8_t)next(); n++; } break;
    case 3: memmove(tmp + at, tmp + at + 1, n - at - 1); n--; break;
    case 4: n = at; break;
    case 5: tmp[at] = 0; break;
    default: { size_t len = below(n - at) + 1; if (n + len <= sizeof tmp) { memmove(tmp + at + len, tmp + at, n - at); n += len; } } break;
    }
  }
  put_bytes(tmp, n);
}

/* a valid frame (good CRC) for a random id with a random payload: reaches the body decoders */
static void gen_random_payload(void)
{
  size_t plen = below(64) < 60 ? below(80) : below(EQP_MAX_PAYLOAD + 1), k, n = 0;
  uint8_t id = below(4) == 0 ? (uint8_t)next() : POS_VECS[below(N_OF(POS_VECS))].id;
  for (k = 0; k < plen; k++) enc1[k] = below(3) == 0 ? 0 : (uint8_t)next();
  /* half the time, make an array count plausible */
  if (plen >= 8 && below(2) == 0) { enc1[4] = (uint8_t)below(8); enc1[5] = 0; }
  if (eqp_frame_encode(enc2, sizeof enc2, (uint16_t)next(), id, 0, enc1, plen, &n) != EQP_OK) return;
  if (eqp_cobs_encode(enc2, n, tmp, sizeof tmp, &k) != EQP_OK) return;
  put_bytes(tmp, k);
  put(0);
}

static void gen_random_bytes(void)
{
  size_t n = below(600), k, zero_every = 2 + below(300);
  for (k = 0; k < n; k++) put(below(zero_every) == 0 ? 0 : (uint8_t)next());
}

static void check_frame(const uint8_t *f, size_t n, size_t iter)
{
  eqp_frame_t fr, fr2;
  eqp_body_t body, body2;
  uint32_t detail = 0;
  size_t len1 = 0, len2 = 0;
  int role = (int)below(3);
  int rc = eqp_message_decode(f, n, EQP_MAX_FRAME, role, &fr, &body, &detail);
  if (rc == EQP_OK) {
    messages++;
    /* canonical form: encode, decode, encode again gives the same bytes */
    if (eqp_message_encode(enc1, sizeof enc1, fr.seq, fr.msg_id, &body, &len1) != EQP_OK) { fail("re-encode of an accepted message", iter); return; }
    if (eqp_message_decode(enc1, len1, EQP_MAX_FRAME, EQP_ROLE_ANY, &fr2, &body2, &detail) != EQP_OK) { fail("decode of a re-encoded message", iter); return; }
    if (eqp_message_encode(enc2, sizeof enc2, fr2.seq, fr2.msg_id, &body2, &len2) != EQP_OK || len1 != len2 || memcmp(enc1, enc2, len1) != 0) {
      fail("re-encoding is not stable", iter);
      return;
    }
    reencoded++;
    return;
  }
  if (rc <= 0 || rc >= 64 || eqp_error_name((unsigned)rc) == NULL) { fail("unknown error code", iter); return; }
  errors_by_code[rc]++;
}

int main(int argc, char **argv)
{
  size_t iters = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 20000;
  size_t it, k, seglen = 0, got;
  unsigned long decoded_total = 0, errors = 0, bodies = 0, body_ok = 0;
  eqp_cobs_rx_t rx;
  rng = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1u;
  if (rng == 0) rng = 1;
  eqp_cobs_rx_init(&rx, rxbuf, sizeof rxbuf, EQP_MAX_FRAME);
  for (it = 0; it < iters; it++) {
    size_t parts = 1 + below(4);
    stream_len = 0;
    if (below(8) == 0) put(0);
    for (k = 0; k < parts; k++) {
      switch (below(4)) {
      case 0: gen_random_bytes(); break;
      case 1: gen_mutated(); break;
      case 2: gen_random_payload(); break;
      default: { const pos_vec_t *v = &POS_VECS[below(N_OF(POS_VECS))]; put_bytes(v->serial, v->serial_len); } break;
      }
    }
    put(0); /* every iteration ends on a delimiter, so the counts can be compared */
    for (k = 0; k < stream_len; k++) {
      if (stream[k] == 0) { if (seglen > 0) segments++; seglen = 0; }
      else seglen++;
      got = eqp_cobs_rx_push(&rx, stream[k]);
      if (got > 0) { decoded_total++; check_frame(rxbuf, got, it); }
    }
    if ((unsigned long)rx.frames + rx.bad_cobs + rx.oversize != segments) { fail("segment bookkeeping", it); break; }
    /* the body decoders on their own, any id, any bytes */
    {
      eqp_body_t b;
      uint32_t detail;
      size_t plen = below(below(16) == 0 ? EQP_MAX_PAYLOAD + 64 : 64), n = 0;
      uint8_t id = (uint8_t)next();
      int rc;
      for (k = 0; k < plen && k < sizeof tmp; k++) tmp[k] = (uint8_t)next();
      rc = eqp_decode_body(id, tmp, plen < sizeof tmp ? plen : sizeof tmp, &b, &detail);
      bodies++;
      if (rc == EQP_OK) {
        body_ok++;
        if (eqp_encode_body(id, &b, enc1, sizeof enc1, &n) != EQP_OK) fail("body re-encode", it);
      } else if (rc != EQP_ERR_BAD_PAYLOAD && rc != EQP_ERR_UNKNOWN_MESSAGE) fail("body decode code", it);
    }
  }
  for (k = 0; k < 64; k++) errors += errors_by_code[k];
  if (messages + errors != rx.frames || decoded_total != rx.frames) fail("frame bookkeeping", iters);
  printf("fuzz: %u iterations, %lu segments: %u frames (%lu messages, %lu refused), %u bad COBS, %u oversize; "
         "%lu re-encoded; bodies %lu/%lu accepted\n",
         (unsigned)iters, segments, (unsigned)rx.frames, messages, errors, (unsigned)rx.bad_cobs, (unsigned)rx.oversize,
         reencoded, body_ok, bodies);
  printf("fuzz: refused by code:");
  for (k = 1; k < 64; k++) if (errors_by_code[k]) printf(" %s=%lu", eqp_error_name((unsigned)k), errors_by_code[k]);
  printf("\n");
  return failed ? 1 : 0;
}
