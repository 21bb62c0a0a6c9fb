// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, init 0xFFFFFFFF, xorout 0xFFFFFFFF.
// Check value: crc32c(ASCII "123456789") = 0xE3069283.

const TABLE = new Uint32Array(256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  TABLE[n] = c >>> 0
}

/**
 * Continues a CRC-32C: `crc` is the finished CRC of the bytes before (0 to start), the result the
 * finished CRC of everything, so crc32cUpdate(crc32c(a), b) = crc32c(a ++ b).
 */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = ~crc >>> 0
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

/** CRC-32C of bytes[start, end), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cUpdate(0, bytes, start, end)
}
