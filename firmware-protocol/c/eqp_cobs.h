/* COBS framing for serial links: each inner frame is COBS-encoded and followed by one 0x00.
 * No allocation: the caller owns every buffer. */
#ifndef EQP_COBS_H
#define EQP_COBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest COBS encoding of n bytes, without the 0x00 delimiter. */
#define EQP_COBS_MAX_ENCODED(n) ((n) + 1u + (n) / 254u)

/* Encodes n bytes into out (cap bytes); *len = encoded length (no delimiter).
 * Returns EQP_OK, or EQP_ERR_FRAME_TOO_LARGE if cap is too small. */
int eqp_cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len);

/* Decodes n encoded bytes (no delimiter) into out (cap bytes); out may equal in.
 * Returns EQP_OK, EQP_ERR_BAD_COBS (a 0x00, a block past the end, empty input), or
 * EQP_ERR_FRAME_TOO_LARGE if the result does not fit cap. */
int eqp_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len);

/* Streaming receiver: feed bytes one at a time (from a UART ISR queue or a read buffer). */
typedef struct {
  uint8_t *buf;     /* encoded bytes of the current segment; decoded in place at the delimiter */
  size_t cap;       /* size of buf; EQP_COBS_MAX_ENCODED(max_frame) holds any frame up to max_frame */
  size_t max_frame; /* largest decoded frame accepted */
  size_t len;
  bool overflow;
  uint32_t frames;   /* segments decoded into a frame */
  uint32_t bad_cobs; /* segments that were invalid COBS or decoded to nothing */
  uint32_t oversize; /* segments longer than cap, or decoding to more than max_frame */
} eqp_cobs_rx_t;

void eqp_cobs_rx_init(eqp_cobs_rx_t *rx, uint8_t *buf, size_t cap, size_t max_frame);

/* Drops a partial segment. */
void eqp_cobs_rx_reset(eqp_cobs_rx_t *rx);

/* Feeds one byte. Returns the length of a frame now decoded in rx->buf (valid until the next call),
 * or 0. Bad segments are counted and skipped; empty segments (0x00 0x00) are ignored. */
size_t eqp_cobs_rx_push(eqp_cobs_rx_t *rx, uint8_t byte);

#endif
