/* Runs the frozen vectors (firmware-protocol/vectors/ JSON files, via the generated vectors_gen.h) against the C codec. */
#include <stdio.h>
#include <string.h>

#include "../eqp_cobs.h"
#include "../eqp_crc32c.h"
#include "../eqp_frame.h"
#include "vectors_gen.h"

static int checks = 0, failures = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    checks++;                                              \
    if (!(cond)) {                                         \
      failures++;                                          \
      printf("FAIL line %d: ", __LINE__);                  \
      printf(__VA_ARGS__);                                 \
      printf("\n");                                        \
    }                                                      \
  } while (0)

static uint8_t buf[4096], buf2[4096], rxbuf[4096];

static int same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static int role_for(uint8_t id)
{
  int dir = eqp_msg_dir(id);
  return dir == EQP_DIR_HOST_TO_BOARD ? EQP_ROLE_BOARD : dir == EQP_DIR_BOARD_TO_HOST ? EQP_ROLE_HOST : EQP_ROLE_ANY;
}

static void test_crc(void)
{
  size_t i, k;
  for (i = 0; i < N_OF(CRC_VECS); i++) {
    const crc_vec_t *v = &CRC_VECS[i];
    CHECK(eqp_crc32c(v->in, v->in_len) == v->crc, "crc '%s'", v->name);
    for (k = 0; k <= v->in_len; k++) {
      uint32_t c = eqp_crc32c_update(eqp_crc32c(v->in, k), v->in + k, v->in_len - k);
      CHECK(c == v->crc, "crc '%s' split at %u", v->name, (unsigned)k);
    }
  }
}

static void test_cobs(void)
{
  size_t i, k, n = 0, got;
  eqp_cobs_rx_t rx;
  for (i = 0; i < N_OF(COBS_VECS); i++) {
    const cobs_vec_t *v = &COBS_VECS[i];
    CHECK(eqp_cobs_encode(v->dec, v->dec_len, buf, sizeof buf, &n) == EQP_OK && same(buf, n, v->enc, v->enc_len), "cobs encode '%s'", v->name);
    CHECK(eqp_cobs_decode(v->enc, v->enc_len, buf, sizeof buf, &n) == EQP_OK && same(buf, n, v->dec, v->dec_len), "cobs decode '%s'", v->name);
    memcpy(buf2, v->enc, v->enc_len);
    CHECK(eqp_cobs_decode(buf2, v->enc_len, buf2, sizeof buf2, &n) == EQP_OK && same(buf2, n, v->dec, v->dec_len), "cobs decode in place '%s'", v->name);
    CHECK(eqp_cobs_encode(v->dec, v->dec_len, buf, EQP_COBS_MAX_ENCODED(v->dec_len) - 1, &n) == EQP_ERR_FRAME_TOO_LARGE, "cobs encode cap '%s'", v->name);
    eqp_cobs_rx_init(&rx, rxbuf, sizeof rxbuf, 1024);
    got = 0;
    for (k = 0; k < v->enc_len; k++) CHECK(eqp_cobs_rx_push(&rx, v->enc[k]) == 0, "rx early frame '%s'", v->name);
    got = eqp_cobs_rx_push(&rx, 0);
    if (v->dec_len == 0) CHECK(got == 0 && rx.bad_cobs == 1, "rx empty decode counted bad '%s'", v->name);
    else CHECK(same(rxbuf, got, v->dec, v->dec_len) && rx.frames == 1, "rx '%s'", v->name);
  }
  for (i = 0; i < N_OF(COBS_BAD_VECS); i++) {
    const cobs_bad_vec_t *v = &COBS_BAD_VECS[i];
    CHECK(eqp_cobs_decode(v->enc, v->enc_len, buf, sizeof buf, &n) == v->code, "cobs invalid '%s'", v->name);
  }
  for (i = 0; i < N_OF(STREAM_VECS); i++) {
    const stream_vec_t *v = &STREAM_VECS[i];
    size_t off = 0, nf = 0;
    eqp_cobs_rx_init(&rx, rxbuf, EQP_COBS_MAX_ENCODED(v->max_frame), v->max_frame);
    for (k = 0; k < v->in_len; k++) {
      got = eqp_cobs_rx_push(&rx, v->in[k]);
      if (got == 0) continue;
      CHECK(nf < v->n_frames && same(rxbuf, got, v->frames + off, v->frame_lens[nf]), "stream '%s' frame %u", v->name, (unsigned)nf);
      if (nf < v->n_frames) off += v->frame_lens[nf];
      nf++;
    }
    CHECK(nf == v->n_frames, "stream '%s' frame count %u", v->name, (unsigned)nf);
    CHECK(rx.frames == v->frames_n && rx.bad_cobs == v->bad_cobs && rx.oversize == v->oversize,
          "stream '%s' stats %u/%u/%u", v->name, (unsigned)rx.frames, (unsigned)rx.bad_cobs, (unsigned)rx.oversize);
  }
}

static void test_positive(void)
{
  size_t i, k, n = 0, got = 0;
  eqp_body_t body;
  eqp_frame_t f;
  uint32_t detail;
  eqp_cobs_rx_t rx;
  for (i = 0; i < N_OF(POS_VECS); i++) {
    const pos_vec_t *v = &POS_VECS[i];
    int rc = eqp_encode_body(v->id, v->body, buf, sizeof buf, &n);
    CHECK(rc == EQP_OK && same(buf, n, v->payload, v->payload_len), "encode body '%s' rc %d", v->name, rc);
    rc = eqp_frame_encode(buf, sizeof buf, v->seq, v->id, v->compat, v->payload, v->payload_len, &n);
    CHECK(rc == EQP_OK && same(buf, n, v->frame, v->frame_len), "encode frame '%s'", v->name);
    if (v->compat == 0) {
      rc = eqp_message_encode(buf, sizeof buf, v->seq, v->id, v->body, &n);
      CHECK(rc == EQP_OK && same(buf, n, v->frame, v->frame_len), "encode message '%s'", v->name);
    }
    rc = eqp_cobs_encode(v->frame, v->frame_len, buf, sizeof buf, &n);
    CHECK(rc == EQP_OK && n + 1 == v->serial_len && same(buf, n, v->serial, n) && v->serial[n] == 0, "serial '%s'", v->name);
    eqp_cobs_rx_init(&rx, rxbuf, sizeof rxbuf, EQP_MAX_FRAME);
    for (k = 0; k < v->serial_len; k++) got = eqp_cobs_rx_push(&rx, v->serial[k]);
    CHECK(same(rxbuf, got, v->frame, v->frame_len), "rx serial '%s'", v->name);
    rc = eqp_message_decode(v->frame, v->frame_len, EQP_MAX_FRAME, role_for(v->id), &f, &body, &detail);
    CHECK(rc == EQP_OK && f.seq == v->seq && f.msg_id == v->id && f.compat_flags == v->compat, "decode '%s' rc %d detail %u", v->name, rc, (unsigned)detail);
    if (rc == EQP_OK) {
      rc = eqp_encode_body(v->id, &body, buf, sizeof buf, &n);
      CHECK(rc == EQP_OK && same(buf, n, v->payload, v->payload_len), "re-encode decoded '%s'", v->name);
    }
  }
}

static void test_negative(void)
{
  size_t i, n;
  eqp_body_t body;
  eqp_frame_t f;
  uint32_t detail;
  for (i = 0; i < N_OF(NEG_VECS); i++) {
    const neg_vec_t *v = &NEG_VECS[i];
    int rc;
    if (v->cobs_layer) {
      rc = eqp_cobs_decode(v->in, v->in_len, buf, sizeof buf, &n);
      CHECK(rc == v->code, "negative '%s': got %d want %d", v->name, rc, v->code);
      continue;
    }
    detail = 0xdeadbeefu;
    rc = eqp_message_decode(v->in, v->in_len, v->max_frame, v->role, &f, &body, &detail);
    CHECK(rc == v->code && detail == v->detail, "negative '%s': got %s/%u want %s/%u", v->name,
          eqp_error_name((unsigned)rc), (unsigned)detail, eqp_error_name((unsigned)v->code), (unsigned)v->detail);
  }
}

static void test_tolerant(void)
{
  size_t i, n;
  eqp_body_t body;
  eqp_frame_t f;
  uint32_t detail;
  for (i = 0; i < N_OF(TOL_VECS); i++) {
    const tol_vec_t *v = &TOL_VECS[i];
    int rc = eqp_message_decode(v->frame, v->frame_len, EQP_MAX_FRAME, role_for(v->id), &f, &body, &detail);
    CHECK(rc == EQP_OK && f.seq == v->seq && f.msg_id == v->id && f.compat_flags == v->compat, "tolerant '%s' rc %d", v->name, rc);
    if (rc != EQP_OK) continue;
    rc = eqp_encode_body(v->id, &body, buf, sizeof buf, &n);
    CHECK(rc == EQP_OK && same(buf, n, v->canonical, v->canonical_len), "tolerant re-encode '%s'", v->name);
    rc = eqp_encode_body(v->id, v->body, buf, sizeof buf, &n);
    CHECK(rc == EQP_OK && same(buf, n, v->canonical, v->canonical_len), "tolerant expected body '%s'", v->name);
  }
}

int main(void)
{
  test_crc();
  test_cobs();
  test_positive();
  test_negative();
  test_tolerant();
  printf("test_vectors: %d checks, %d failures (crc %u, cobs %u, streams %u, positive %u, negative %u, tolerant %u)\n",
         checks, failures, (unsigned)N_OF(CRC_VECS), (unsigned)N_OF(COBS_VECS), (unsigned)N_OF(STREAM_VECS),
         (unsigned)N_OF(POS_VECS), (unsigned)N_OF(NEG_VECS), (unsigned)N_OF(TOL_VECS));
  return failures == 0 ? 0 : 1;
}
