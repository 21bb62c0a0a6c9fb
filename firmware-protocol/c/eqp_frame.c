#include "eqp_frame.h"

#include <string.h>

#include "eqp_crc32c.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int fail(uint32_t *detail, int code, uint32_t value)
{
  if (detail) *detail = value;
  return code;
}

int eqp_frame_decode(const uint8_t *buf, size_t n, size_t max_frame, eqp_frame_t *f, uint32_t *detail)
{
  uint8_t unknown;
  if (detail) *detail = 0;
  memset(f, 0, sizeof *f);
  if (n > max_frame) return fail(detail, EQP_ERR_FRAME_TOO_LARGE, (uint32_t)max_frame);
  if (n < EQP_FRAME_OVERHEAD) return fail(detail, EQP_ERR_BAD_LENGTH, (uint32_t)n);
  f->seq = rd16(buf + 3);
  f->msg_id = buf[5];
  if (rd32(buf + n - EQP_CRC_SIZE) != eqp_crc32c(buf, n - EQP_CRC_SIZE)) return EQP_ERR_BAD_CRC;
  f->major = buf[0];
  if (f->major != EQP_PROTO_MAJOR) return fail(detail, EQP_ERR_UNSUPPORTED_MAJOR, EQP_PROTO_MAJOR);
  f->incompat_flags = buf[1];
  unknown = (uint8_t)(f->incompat_flags & (uint8_t)~EQP_KNOWN_INCOMPAT_FLAGS);
  if (unknown != 0u) return fail(detail, EQP_ERR_UNKNOWN_INCOMPATIBLE_FLAG, unknown);
  f->compat_flags = buf[2];
  f->payload_len = rd16(buf + 6);
  if ((size_t)f->payload_len != n - EQP_FRAME_OVERHEAD) return fail(detail, EQP_ERR_BAD_LENGTH, (uint32_t)n);
  f->payload = buf + EQP_HEADER_SIZE;
  return EQP_OK;
}

int eqp_frame_encode(uint8_t *out, size_t cap, uint16_t seq, uint8_t msg_id, uint8_t compat_flags,
                     const uint8_t *payload, size_t payload_len, size_t *len)
{
  size_t total;
  uint32_t crc;
  if (payload_len > EQP_MAX_FRAME_LIMIT - EQP_FRAME_OVERHEAD) return EQP_ERR_FRAME_TOO_LARGE;
  total = payload_len + EQP_FRAME_OVERHEAD;
  if (cap < total) return EQP_ERR_FRAME_TOO_LARGE;
  if (payload_len > 0 && payload != out + EQP_HEADER_SIZE) memmove(out + EQP_HEADER_SIZE, payload, payload_len);
  out[0] = EQP_PROTO_MAJOR;
  out[1] = 0u;
  out[2] = compat_flags;
  out[3] = (uint8_t)(seq & 0xffu);
  out[4] = (uint8_t)(seq >> 8);
  out[5] = msg_id;
  out[6] = (uint8_t)(payload_len & 0xffu);
  out[7] = (uint8_t)(payload_len >> 8);
  crc = eqp_crc32c(out, EQP_HEADER_SIZE + payload_len);
  out[total - 4] = (uint8_t)(crc & 0xffu);
  out[total - 3] = (uint8_t)((crc >> 8) & 0xffu);
  out[total - 2] = (uint8_t)((crc >> 16) & 0xffu);
  out[total - 1] = (uint8_t)(crc >> 24);
  *len = total;
  return EQP_OK;
}

int eqp_message_decode(const uint8_t *buf, size_t n, size_t max_frame, int role, eqp_frame_t *f,
                       eqp_body_t *body, uint32_t *detail)
{
  int dir;
  int rc = eqp_frame_decode(buf, n, max_frame, f, detail);
  if (rc != EQP_OK) return rc;
  dir = eqp_msg_dir(f->msg_id);
  if (dir == 0 || (role == EQP_ROLE_BOARD && dir == EQP_DIR_BOARD_TO_HOST) ||
      (role == EQP_ROLE_HOST && dir == EQP_DIR_HOST_TO_BOARD)) {
    return fail(detail, EQP_ERR_UNKNOWN_MESSAGE, f->msg_id);
  }
  return eqp_decode_body(f->msg_id, f->payload, f->payload_len, body, detail);
}

int eqp_message_encode(uint8_t *out, size_t cap, uint16_t seq, uint8_t msg_id, const eqp_body_t *body,
                       size_t *len)
{
  size_t n = 0;
  int rc;
  if (cap < EQP_FRAME_OVERHEAD) return EQP_ERR_FRAME_TOO_LARGE;
  rc = eqp_encode_body(msg_id, body, out + EQP_HEADER_SIZE, cap - EQP_FRAME_OVERHEAD, &n);
  if (rc != EQP_OK) return rc;
  return eqp_frame_encode(out, cap, seq, msg_id, 0u, out + EQP_HEADER_SIZE, n, len);
}
