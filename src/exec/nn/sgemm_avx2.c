/*
 * sgemm_avx2.c - packed AVX2+FMA sgemm for the executor's small products.
 *
 * OpenBLAS reaches its peak only on large products; the convs and linears
 * of small models are [64..512] x [64..4096] x [27..1152] products where its
 * per-call overhead and generic blocking leave half the time on the table.
 *
 * Layout: B is packed, per block of KC rows, into 16-column strips
 * (zero-padded past N, so the N tail runs the full kernel and stores under
 * a mask); A is read in place (row-major or transposed), its six values per
 * k broadcast from wherever they are.  A 6x16 register tile (12 ymm
 * accumulators) keeps two loads of B per six FMAs pairs.
 *
 * Determinism: every C element is one FMA chain over k in order within
 * each fixed KC block (blocks at k = 0, KC, 2 KC ... whatever the tile),
 * added to C block after block.  The arithmetic of an element is therefore
 * the same for any M/N tiling, row-tail size or thread count.  alpha is
 * folded into packed B (exact when alpha == 1, the common case).
 */
#include <immintrin.h>
#include <string.h>

#include "exec/nn/nn.h"

enum { MR = 6, NR = NNQ_SGEMM_NR, KC = NNQ_SGEMM_KC, NC = NNQ_SGEMM_NC };

/* How a block's sums reach C. */
typedef enum { STORE_SET, STORE_BETA, STORE_ADD } store_mode;

/* Pack B rows [0, kc) x columns [0, nc) of op(B) (already offset) times
 * alpha into nc / NR strips of kc x NR floats. */
static void pack_b(bool tb, size_t kc, size_t nc, float alpha, const float *B, size_t ldb,
                   float *dst) {
    for (size_t j0 = 0; j0 < nc; j0 += NR, dst += kc * NR) {
        size_t w = nc - j0 < NR ? nc - j0 : NR;
        if (!tb && w == NR) {
            __m256 va = _mm256_set1_ps(alpha);
            for (size_t k = 0; k < kc; k++) {
                const float *src = B + k * ldb + j0;
                _mm256_store_ps(dst + k * NR, _mm256_mul_ps(va, _mm256_loadu_ps(src)));
                _mm256_store_ps(dst + k * NR + 8, _mm256_mul_ps(va, _mm256_loadu_ps(src + 8)));
            }
            continue;
        }
        if (w < NR) memset(dst, 0, kc * NR * sizeof *dst);
        for (size_t jj = 0; jj < w; jj++)
            for (size_t k = 0; k < kc; k++)
                dst[k * NR + jj] = alpha * (tb ? B[(j0 + jj) * ldb + k] : B[k * ldb + j0 + jj]);
    }
}

static __m256i tail_mask(size_t n) {
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

/* The bias, when there is one (after the last K block), is added after
 * the block's sum reaches C: the order of a separate bias pass. */
static inline __attribute__((always_inline)) void store_half(float *c, __m256 acc, size_t n,
                                                             store_mode mode, __m256 vbeta,
                                                             bool bias, __m256 vb) {
    if (n >= 8) {
        if (mode == STORE_BETA) acc = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c), acc);
        if (mode == STORE_ADD) acc = _mm256_add_ps(_mm256_loadu_ps(c), acc);
        if (bias) acc = _mm256_add_ps(acc, vb);
        _mm256_storeu_ps(c, acc);
    } else if (n > 0) {
        __m256i mask = tail_mask(n);
        if (mode == STORE_BETA) acc = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(c, mask), acc);
        if (mode == STORE_ADD) acc = _mm256_add_ps(_mm256_maskload_ps(c, mask), acc);
        if (bias) acc = _mm256_add_ps(acc, vb);
        _mm256_maskstore_ps(c, mask, acc);
    }
}

/*
 * C[mr x nr] (+)= A[mr x kc] * Bp[kc x NR]; A(r, k) = a[r * rs + k * cs].
 * Inlined with a constant mr; the accumulators are named variables (an
 * array indexed in the store loop would live in memory) and the rows past
 * mr fold away.
 */
#define ROW_FMA(r, lo, hi)                                                                         \
    if (mr > r) {                                                                                  \
        __m256 va = _mm256_broadcast_ss(a + r * rs);                                               \
        lo = _mm256_fmadd_ps(va, b0, lo);                                                          \
        hi = _mm256_fmadd_ps(va, b1, hi);                                                          \
    }
#define ROW_STORE(r, lo, hi)                                                                       \
    if (mr > r) {                                                                                  \
        __m256 vb = bias ? _mm256_broadcast_ss(bias + r) : vbeta;                                  \
        store_half(c + r * ldc, lo, nr, mode, vbeta, bias != NULL, vb);                            \
        store_half(c + r * ldc + 8, hi, nr > 8 ? nr - 8 : 0, mode, vbeta, bias != NULL, vb);       \
    }

static inline __attribute__((always_inline)) void kernel(size_t mr, size_t kc, const float *a,
                                                         size_t rs, size_t cs, const float *bp,
                                                         float *c, size_t ldc, size_t nr,
                                                         store_mode mode, float beta,
                                                         const float *bias) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    /* Unrolled: the loop's pointer bumps and branch otherwise compete with
     * the 8 loads and 12 FMAs per k (about 8% on the CNN's products). */
#pragma GCC unroll 4
    for (size_t k = 0; k < kc; k++, bp += NR, a += cs) {
        __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
        ROW_FMA(0, c00, c01)
        ROW_FMA(1, c10, c11)
        ROW_FMA(2, c20, c21)
        ROW_FMA(3, c30, c31)
        ROW_FMA(4, c40, c41)
        ROW_FMA(5, c50, c51)
    }
    __m256 vbeta = _mm256_set1_ps(beta);
    ROW_STORE(0, c00, c01)
    ROW_STORE(1, c10, c11)
    ROW_STORE(2, c20, c21)
    ROW_STORE(3, c30, c31)
    ROW_STORE(4, c40, c41)
    ROW_STORE(5, c50, c51)
}
#undef ROW_FMA
#undef ROW_STORE

/* bias: NULL, or mr values added to the rows in this (last) block. */
static void kernel_any(size_t mr, size_t kc, const float *a, size_t rs, size_t cs,
                       const float *bp, float *c, size_t ldc, size_t nr, store_mode mode,
                       float beta, const float *bias) {
    switch (mr) {
    case 6: kernel(6, kc, a, rs, cs, bp, c, ldc, nr, mode, beta, bias); break;
    case 5: kernel(5, kc, a, rs, cs, bp, c, ldc, nr, mode, beta, bias); break;
    case 4: kernel(4, kc, a, rs, cs, bp, c, ldc, nr, mode, beta, bias); break;
    case 3: kernel(3, kc, a, rs, cs, bp, c, ldc, nr, mode, beta, bias); break;
    case 2: kernel(2, kc, a, rs, cs, bp, c, ldc, nr, mode, beta, bias); break;
    default: kernel(1, kc, a, rs, cs, bp, c, ldc, nr, mode, beta, bias); break;
    }
}

/* The blocked loop over B blocks packed by `pack`; C = A * B. */
static void sgemm_blocks(size_t M, size_t N, size_t K, const float *A, size_t rs, size_t cs,
                         nnq_sgemm_pack_fn pack, const void *pctx, float beta, float *C,
                         size_t ldc) {
    /* 128 KiB: one KC x NC block of B, reused by every row of the tile. */
    _Alignas(64) float bp[KC * NC];
    for (size_t jc = 0; jc < N; jc += NC) {
        size_t nc = N - jc < NC ? N - jc : NC;
        for (size_t pc = 0; pc < K; pc += KC) {
            size_t kc = K - pc < KC ? K - pc : KC;
            pack(pctx, pc, kc, jc, nc, bp);
            store_mode mode = pc > 0 ? STORE_ADD : beta == 0.0f ? STORE_SET : STORE_BETA;
            for (size_t i = 0; i < M; i += MR) {
                size_t mr = M - i < MR ? M - i : MR;
                const float *a = A + i * rs + pc * cs;
                for (size_t j = 0; j < nc; j += NR)
                    kernel_any(mr, kc, a, rs, cs, bp + j * kc, C + i * ldc + jc + j, ldc,
                               nc - j < NR ? nc - j : NR, mode, beta, NULL);
            }
        }
    }
}

typedef struct dense_b {
    bool tb;
    float alpha;
    const float *B;
    size_t ldb;
} dense_b;

static void pack_dense(const void *ctx, size_t k0, size_t kc, size_t j0, size_t nc, float *dst) {
    const dense_b *d = ctx;
    pack_b(d->tb, kc, nc, d->alpha, d->tb ? d->B + j0 * d->ldb + k0 : d->B + k0 * d->ldb + j0,
           d->ldb, dst);
}

void nnq_sgemm_avx2(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float *A,
                    size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc) {
    dense_b d = {tb, alpha, B, ldb};
    sgemm_blocks(M, N, K, A, ta ? 1 : lda, ta ? lda : 1, pack_dense, &d, beta, C, ldc);
}

void nnq_sgemm_avx2_packed(size_t M, size_t N, size_t K, const float *A, size_t lda,
                           nnq_sgemm_pack_fn pack, const void *pctx, float *C, size_t ldc) {
    sgemm_blocks(M, N, K, A, lda, 1, pack, pctx, 0.0f, C, ldc);
}
