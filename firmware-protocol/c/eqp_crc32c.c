/* CRC-32C, four bits at a time: a 16-entry table (64 bytes of flash) instead of 1 KiB. */
#include "eqp_crc32c.h"

static const uint32_t NIBBLE[16] = {
  0x00000000u, 0x105ec76fu, 0x20bd8edeu, 0x30e349b1u, 0x417b1dbcu, 0x5125dad3u, 0x61c69362u, 0x7198540du,
  0x82f63b78u, 0x92a8fc17u, 0xa24bb5a6u, 0xb21572c9u, 0xc38d26c4u, 0xd3d3e1abu, 0xe330a81au, 0xf36e6f75u,
};

uint32_t eqp_crc32c_update(uint32_t crc, const uint8_t *p, size_t n)
{
  uint32_t c = ~crc;
  size_t i;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    c = (c >> 4) ^ NIBBLE[c & 0x0fu];
    c = (c >> 4) ^ NIBBLE[c & 0x0fu];
  }
  return ~c;
}

uint32_t eqp_crc32c(const uint8_t *p, size_t n)
{
  return eqp_crc32c_update(0u, p, n);
}
