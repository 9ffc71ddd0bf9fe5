/* rng.c - PCG32 (XSH-RR, 64-bit state), M.E. O'Neill, "PCG: A Family of
 * Simple Fast Space-Efficient Statistically Good Algorithms" (2014). */
#include <math.h>

#include "internal.h"

void nnq_rng_seed(nnq_rng *r, uint64_t seed, uint64_t stream) {
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    (void)nnq_rng_u32(r);
    r->state += seed;
    (void)nnq_rng_u32(r);
}

uint32_t nnq_rng_u32(nnq_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t nnq_rng_bounded(nnq_rng *r, uint32_t bound) {
    /* Lemire's nearly divisionless method (2019). */
    if (bound == 0) return 0;
    uint64_t m = (uint64_t)nnq_rng_u32(r) * bound;
    uint32_t l = (uint32_t)m;
    if (l < bound) {
        uint32_t t = (uint32_t)(-bound) % bound;
        while (l < t) {
            m = (uint64_t)nnq_rng_u32(r) * bound;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float nnq_rng_uniform(nnq_rng *r) { return (float)(nnq_rng_u32(r) >> 8) * 0x1.0p-24f; }

float nnq_rng_normal(nnq_rng *r) {
    /* u1 in (0, 1] so log() is finite. */
    double u1 = ((double)(nnq_rng_u32(r) >> 8) + 1.0) * 0x1.0p-24;
    double u2 = (double)(nnq_rng_u32(r) >> 8) * 0x1.0p-24;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
