/* CRC-32C (Castagnoli): reflected poly 0x82F63B78, init 0xFFFFFFFF, xorout 0xFFFFFFFF.
 * Check value: eqp_crc32c("123456789", 9) == 0xE3069283. */
#ifndef EQP_CRC32C_H
#define EQP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: crc is the finished CRC of the preceding bytes (0 to start). */
uint32_t eqp_crc32c_update(uint32_t crc, const uint8_t *p, size_t n);

/* CRC-32C of n bytes. */
uint32_t eqp_crc32c(const uint8_t *p, size_t n);

#endif
