#include "eqp_rng.h"

static uint32_t rotl(uint32_t x, unsigned k) { return (x << k) | (x >> (32u - k)); }

void eqp_rng_seed(eqp_rng_t *r, uint32_t seed)
{
  uint32_t x = seed ^ 0x9e3779b9u;
  unsigned k;
  for (k = 0; k < 4; k++) {
    uint32_t z;
    x += 0x9e3779b9u;
    z = x;
    z = (z ^ (z >> 16)) * 0x85ebca6bu;
    z = (z ^ (z >> 13)) * 0xc2b2ae35u;
    r->s[k] = z ^ (z >> 16);
  }
  if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0u) r->s[0] = 1u;
}

uint32_t eqp_rng_u32(eqp_rng_t *r)
{
  uint32_t *s = r->s;
  uint32_t out = rotl(s[1] * 5u, 7) * 9u;
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return out;
}

double eqp_rng_next(eqp_rng_t *r)
{
  uint32_t a = eqp_rng_u32(r) >> 5, b = eqp_rng_u32(r) >> 6;
  return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

double eqp_rng_uniform(eqp_rng_t *r, double lo, double hi) { return lo + (hi - lo) * eqp_rng_next(r); }
