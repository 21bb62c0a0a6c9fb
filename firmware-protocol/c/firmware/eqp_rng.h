/* Seeded random stream: xoshiro128** with splitmix32 seeding, the same generator as the host's
 * src/core/rng/rng.ts, so `start = random` with the same seed gives the same start phases on the
 * reference firmware as in the TypeScript simulator. */
#ifndef EQP_RNG_H
#define EQP_RNG_H

#include <stdint.h>

typedef struct {
  uint32_t s[4];
} eqp_rng_t;

/* Expands one 32-bit seed into the four state words. */
void eqp_rng_seed(eqp_rng_t *r, uint32_t seed);

/* Uniform 32-bit unsigned integer. */
uint32_t eqp_rng_u32(eqp_rng_t *r);

/* Uniform in [0, 1) with 53 random bits (two draws). */
double eqp_rng_next(eqp_rng_t *r);

/* Uniform in [lo, hi). */
double eqp_rng_uniform(eqp_rng_t *r, double lo, double hi);

#endif
