/* The inner frame (SPEC section 3): 8-byte header, payload, CRC-32C; and whole-message helpers.
 *
 *   off size field
 *   0   1    protocol major
 *   1   1    incompatible flags
 *   2   1    compatible flags
 *   3   2    sequence number (LE)
 *   5   1    message id
 *   6   2    payload length n (LE)
 *   8   n    payload
 *   8+n 4    CRC-32C of bytes [0, 8+n), LE
 */
#ifndef EQP_FRAME_H
#define EQP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "messages_gen.h"

typedef struct {
  uint8_t major;
  uint8_t incompat_flags;
  uint8_t compat_flags;
  uint8_t msg_id;
  uint16_t seq;
  uint16_t payload_len;
  const uint8_t *payload; /* points into the frame buffer */
} eqp_frame_t;

/* Which side decodes: a board accepts host-to-board messages, a host board-to-host ones. */
enum { EQP_ROLE_ANY = 0, EQP_ROLE_BOARD = 1, EQP_ROLE_HOST = 2 };

/* Checks a received inner frame in the order of SPEC 3.4 (size limit, minimum size, CRC, major,
 * incompatible flags, payload-length field). Returns EQP_OK or an EQP_ERR_* code; *detail (may be
 * NULL) gets the NACK detail. When n >= 12, f->seq and f->msg_id are filled even on error (for
 * BAD_CRC they are unverified). */
int eqp_frame_decode(const uint8_t *buf, size_t n, size_t max_frame, eqp_frame_t *f, uint32_t *detail);

/* Writes header, payload and CRC into out (cap bytes), major EQP_PROTO_MAJOR, no incompatible
 * flags. payload may already sit at out + EQP_HEADER_SIZE. *len = frame length.
 * Returns EQP_OK or EQP_ERR_FRAME_TOO_LARGE. */
int eqp_frame_encode(uint8_t *out, size_t cap, uint16_t seq, uint8_t msg_id, uint8_t compat_flags,
                     const uint8_t *payload, size_t payload_len, size_t *len);

/* eqp_frame_decode, then the direction check for role, then the body. */
int eqp_message_decode(const uint8_t *buf, size_t n, size_t max_frame, int role, eqp_frame_t *f,
                       eqp_body_t *body, uint32_t *detail);

/* Encodes body straight into out + 8 and finishes the frame around it. */
int eqp_message_encode(uint8_t *out, size_t cap, uint16_t seq, uint8_t msg_id, const eqp_body_t *body,
                       size_t *len);

#endif
