#include "eqp_cobs.h"
#include "messages_gen.h"

int eqp_cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len)
{
  size_t i, code_at = 0, o = 1;
  uint8_t code = 1;
  if (cap < EQP_COBS_MAX_ENCODED(n)) return EQP_ERR_FRAME_TOO_LARGE;
  for (i = 0; i < n; i++) {
    if (in[i] == 0u) {
      out[code_at] = code;
      code_at = o++;
      code = 1;
    } else {
      out[o++] = in[i];
      code++;
      /* a full block of 254 bytes has no implied zero; start a new block only if input follows */
      if (code == 0xffu && i + 1 < n) {
        out[code_at] = code;
        code_at = o++;
        code = 1;
      }
    }
  }
  out[code_at] = code;
  *len = o;
  return EQP_OK;
}

int eqp_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len)
{
  size_t i = 0, o = 0, k;
  if (n == 0) return EQP_ERR_BAD_COBS;
  while (i < n) {
    size_t code = in[i];
    if (code == 0u || code > n - i) return EQP_ERR_BAD_COBS;
    for (k = i + 1; k < i + code; k++) {
      if (in[k] == 0u) return EQP_ERR_BAD_COBS;
      if (o >= cap) return EQP_ERR_FRAME_TOO_LARGE;
      out[o++] = in[k];
    }
    i += code;
    if (code != 0xffu && i < n) {
      if (o >= cap) return EQP_ERR_FRAME_TOO_LARGE;
      out[o++] = 0u;
    }
  }
  *len = o;
  return EQP_OK;
}

void eqp_cobs_rx_init(eqp_cobs_rx_t *rx, uint8_t *buf, size_t cap, size_t max_frame)
{
  rx->buf = buf;
  rx->cap = cap;
  rx->max_frame = max_frame;
  rx->len = 0;
  rx->overflow = false;
  rx->frames = 0;
  rx->bad_cobs = 0;
  rx->oversize = 0;
}

void eqp_cobs_rx_reset(eqp_cobs_rx_t *rx)
{
  rx->len = 0;
  rx->overflow = false;
}

size_t eqp_cobs_rx_push(eqp_cobs_rx_t *rx, uint8_t byte)
{
  size_t n = 0;
  int rc;
  if (byte != 0u) {
    if (rx->len < rx->cap) rx->buf[rx->len++] = byte;
    else rx->overflow = true;
    return 0;
  }
  if (rx->overflow) {
    rx->oversize++;
  } else if (rx->len > 0) {
    /* in place: the write index never passes the read index */
    rc = eqp_cobs_decode(rx->buf, rx->len, rx->buf, rx->cap, &n);
    if (rc != EQP_OK || n == 0) { rx->bad_cobs++; n = 0; }
    else if (n > rx->max_frame) { rx->oversize++; n = 0; }
    else rx->frames++;
  }
  rx->len = 0;
  rx->overflow = false;
  return n;
}
