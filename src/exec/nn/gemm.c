/*
 * gemm.c - the sgemm helper (OpenBLAS or the scalar reference) and the Gemm
 * and MatMul operators.
 *
 * Threads: OpenBLAS is pinned to one thread and nnq parallelizes over output
 * tiles itself, so the pool the caller passes is the only source of threads
 * and every output element is computed by the same call whatever the thread
 * count.
 */
#include <assert.h>
#include <cblas.h>
#include <pthread.h>
#include <string.h>

#include "exec/nn/nn.h"

/* ---------------------------------------------------------------- sgemm */

void nnq_sgemm_ref(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, const float *A,
                   size_t lda, const float *B, size_t ldb, float beta, float *C, size_t ldc) {
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            float acc = 0.0f;
            for (size_t k = 0; k < K; k++) {
                float a = ta ? A[k * lda + i] : A[i * lda + k];
                float b = tb ? B[j * ldb + k] : B[k * ldb + j];
                acc += a * b;
            }
            float *c = &C[i * ldc + j];
            *c = beta == 0.0f ? alpha * acc : alpha * acc + beta * *c;
        }
}

typedef enum { GEMM_REF, GEMM_BLAS, GEMM_AVX2 } gemm_path;

typedef struct gemm_job {
    bool ta, tb;
    gemm_path path;
    size_t K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

static void gemm_tile(void *ctx, size_t i, size_t j, size_t ni, size_t nj) {
    const gemm_job *g = ctx;
    const float *a = g->A + (g->ta ? i : i * g->lda);
    const float *b = g->B + (g->tb ? j * g->ldb : j);
    float *c = g->C + i * g->ldc + j;
    if (g->path == GEMM_REF) {
        nnq_sgemm_ref(g->ta, g->tb, ni, nj, g->K, g->alpha, a, g->lda, b, g->ldb, g->beta, c,
                      g->ldc);
        return;
    }
#if !defined(NNQ_REFERENCE_ONLY)
    if (g->path == GEMM_AVX2) {
        nnq_sgemm_avx2(g->ta, g->tb, ni, nj, g->K, g->alpha, a, g->lda, b, g->ldb, g->beta, c,
                       g->ldc);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                (int)ni, (int)nj, (int)g->K, g->alpha, a, (int)g->lda, b, (int)g->ldb, g->beta, c,
                (int)g->ldc);
}

static void blas_single_thread(void) { openblas_set_num_threads(1); }

/*
 * Tiling.  The tiles depend on M, N and K only (never on the thread count),
 * so any pool runs the same calls.  A product of under 2^(TILE_LOG2 - 1)
 * multiply-adds is one call: below that a pool wake-up (~9 us for two
 * threads, `bench_exec --pool-overhead`) eats most of what a second thread
 * saves.  Larger products are cut into about work / 2^TILE_LOG2 tiles, at
 * least 2 and at most MAX_TILES, so the batch-1 convs of small CNNs
 * (64 x 144 x 576) give a 2-thread pool work to share.  Columns are cut
 * first, in whole NNQ_SGEMM_NR strips: each column tile packs only its own
 * part of B, so the split adds no work; rows (in MR_ALIGN multiples, whole
 * kernel row tiles) take the rest, since each row tile repacks all of B.
 */
enum { TILE_LOG2 = 21, MAX_TILES = 16, MR_ALIGN = 6 };

static gemm_path gemm_choose(void) {
    uint32_t f = nnq_cpu_features();
    if (f == 0) return GEMM_REF;
#if !defined(NNQ_REFERENCE_ONLY)
    uint32_t need = NNQ_CPU_AVX2 | NNQ_CPU_FMA;
    if ((f & need) == need) return GEMM_AVX2;
#endif
    return GEMM_BLAS;
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* The output tile of an M x N x K product: tm x tn, from the sizes only. */
static void gemm_tiling(size_t M, size_t N, size_t K, size_t *tm, size_t *tn) {
    double work = (double)M * (double)N * (double)K;
    double want = work / (double)((size_t)1 << TILE_LOG2);
    *tm = M;
    *tn = N;
    if (want < 0.5) return;
    size_t tiles = want >= (double)MAX_TILES ? MAX_TILES : want < 2.0 ? 2 : (size_t)want;
    /* Column tiles of at least two strips keep a narrow tail tile from
     * holding a whole share of the work (N = 36 would split 32 + 4). */
    size_t strips = (N + NNQ_SGEMM_NR - 1) / NNQ_SGEMM_NR;
    size_t tiles_n = NNQ_MAX(NNQ_MIN(tiles, strips / 2), (size_t)1);
    size_t per = (strips + tiles_n - 1) / tiles_n;
    tiles_n = (strips + per - 1) / per;
    *tn = NNQ_MIN(per * NNQ_SGEMM_NR, N);
    size_t tiles_m = tiles / tiles_n;
    if (tiles_m > 1) *tm = NNQ_MIN(round_up((M + tiles_m - 1) / tiles_m, MR_ALIGN), M);
}

void nnq_sgemm(nnq_pool *pool, bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
               size_t ldc) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (M == 0 || N == 0) return;
    if (K == 0) {
        /* BLAS rejects lda < 1; the product is empty. */
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    gemm_job g = {ta, tb, gemm_choose(), K, lda, ldb, ldc, alpha, beta, A, B, C};
    if (g.path == GEMM_BLAS) pthread_once(&once, blas_single_thread);
    size_t tm, tn;
    gemm_tiling(M, N, K, &tm, &tn);
    nnq_pool_parallelize_2d(pool, gemm_tile, &g, M, N, tm, tn);
}

bool nnq_sgemm_packed_ok(void) { return gemm_choose() == GEMM_AVX2; }

#if !defined(NNQ_REFERENCE_ONLY)
typedef struct packed_job {
    size_t K, lda, ldc;
    const float *A;
    nnq_sgemm_pack_fn pack;
    const void *pctx;
    float *C;
} packed_job;

/* A column offset j reaches pack as j0 through this shim. */
typedef struct packed_shift {
    const packed_job *g;
    size_t j;
} packed_shift;

static void pack_shifted(const void *ctx, size_t k0, size_t kc, size_t j0, size_t nc, float *dst) {
    const packed_shift *s = ctx;
    s->g->pack(s->g->pctx, k0, kc, s->j + j0, nc, dst);
}

static void packed_tile(void *ctx, size_t i, size_t j, size_t ni, size_t nj) {
    const packed_job *g = ctx;
    packed_shift s = {g, j};
    nnq_sgemm_avx2_packed(ni, nj, g->K, g->A + i * g->lda, g->lda, pack_shifted, &s,
                          g->C + i * g->ldc + j, g->ldc);
}
#endif

void nnq_sgemm_packed(nnq_pool *pool, size_t M, size_t N, size_t K, const float *A, size_t lda,
                      nnq_sgemm_pack_fn pack, const void *pctx, float *C, size_t ldc) {
#if !defined(NNQ_REFERENCE_ONLY)
    assert(nnq_sgemm_packed_ok() && K > 0);
    packed_job g = {K, lda, ldc, A, pack, pctx, C};
    size_t tm, tn;
    gemm_tiling(M, N, K, &tm, &tn);
    nnq_pool_parallelize_2d(pool, packed_tile, &g, M, N, tm, tn);
#else
    (void)pool, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)pack, (void)pctx, (void)C,
        (void)ldc;
    assert(!"nnq_sgemm_packed without the AVX2 kernel");
#endif
}

/* ---------------------------------------------------------------- shared */

nnq_status nn_need_float(const nnq_op_ctx *ctx, const nnq_tensor *t, const char *what) {
    if (t->dtype != NNQ_DTYPE_FLOAT32)
        return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                            "input %s is %s; nnq implements float32", what,
                            nnq_dtype_name(t->dtype));
    return NNQ_STATUS_OK;
}

void nn_out_like(nnq_out_shape *o, const nnq_tensor *t) {
    o->dtype = t->dtype;
    o->ndim = t->ndim;
    memcpy(o->dims, t->dims, sizeof o->dims);
}

nnq_status nn_axis(const nnq_op_ctx *ctx, int64_t axis, int ndim, int *out) {
    if (axis < -(int64_t)ndim || axis >= ndim)
        return nnq_op_error(ctx, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis %lld outside [%d, %d)",
                            (long long)axis, -ndim, ndim);
    *out = (int)(axis < 0 ? axis + ndim : axis);
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- Gemm */

typedef struct gemm_attrs {
    int64_t ta, tb;
    float alpha, beta;
} gemm_attrs;

static nnq_status gemm_read(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            gemm_attrs *a, int64_t *M, int64_t *N, int64_t *cm, int64_t *cn) {
    const nnq_node *n = ctx->node;
    NNQ_TRY(nnq_attr_int(n, "transA", 0, &a->ta));
    NNQ_TRY(nnq_attr_int(n, "transB", 0, &a->tb));
    NNQ_TRY(nnq_attr_float(n, "alpha", 1.0f, &a->alpha));
    NNQ_TRY(nnq_attr_float(n, "beta", 1.0f, &a->beta));
    NNQ_TRY(nn_need_float(ctx, in[0], "A"));
    NNQ_TRY(nn_need_float(ctx, in[1], "B"));
    if (in[0]->ndim != 2 || in[1]->ndim != 2)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "A and B must be 2-D, got rank %d and %d", in[0]->ndim, in[1]->ndim);
    int64_t ka = a->ta ? in[0]->dims[0] : in[0]->dims[1];
    int64_t kb = a->tb ? in[1]->dims[1] : in[1]->dims[0];
    *M = a->ta ? in[0]->dims[1] : in[0]->dims[0];
    *N = a->tb ? in[1]->dims[0] : in[1]->dims[1];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "inner dims differ: op(A) has %lld columns, op(B) %lld rows",
                            (long long)ka, (long long)kb);
    *cm = *cn = 0;
    if (n_in > 2 && in[2]) {
        const nnq_tensor *c = in[2];
        NNQ_TRY(nn_need_float(ctx, c, "C"));
        if (c->ndim > 2)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH, "C has rank %d, at most 2",
                                c->ndim);
        *cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
        *cm = c->ndim == 2 ? c->dims[0] : 1;
        if ((*cm != 1 && *cm != *M && *M >= 0) || (*cn != 1 && *cn != *N && *N >= 0))
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "C of shape [%lld, %lld] does not broadcast to [%lld, %lld]",
                                (long long)*cm, (long long)*cn, (long long)*M, (long long)*N);
    }
    return NNQ_STATUS_OK;
}

nnq_status nn_gemm_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_out_shape *out, size_t n_out) {
    gemm_attrs a = {0};
    int64_t M = 0, N = 0, cm = 0, cn = 0;
    NNQ_TRY(gemm_read(ctx, in, n_in, &a, &M, &N, &cm, &cn));
    out[0].dtype = NNQ_DTYPE_FLOAT32;
    out[0].ndim = 2;
    out[0].dims[0] = M;
    out[0].dims[1] = N;
    return NNQ_STATUS_OK;
}

nnq_status nn_gemm_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                       nnq_tensor *const *out, size_t n_out) {
    gemm_attrs a = {0};
    int64_t M = 0, N = 0, cm = 0, cn = 0;
    NNQ_TRY(gemm_read(ctx, in, n_in, &a, &M, &N, &cm, &cn));
    const float *A = in[0]->data, *B = in[1]->data;
    float *Y = out[0]->data;
    size_t K = (size_t)(a.ta ? in[0]->dims[0] : in[0]->dims[1]);
    float beta = 0.0f;
    if (n_in > 2 && in[2] && a.beta != 0.0f) {
        const float *C = in[2]->data;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                Y[i * N + j] = a.beta * C[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
        beta = 1.0f;
    }
    nnq_sgemm(ctx->pool, a.ta, a.tb, (size_t)M, (size_t)N, K, a.alpha, A, (size_t)in[0]->dims[1], B,
              (size_t)in[1]->dims[1], beta, Y, (size_t)N);
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- MatMul */

/* Shapes of a MatMul after numpy's 1-D promotion. */
typedef struct mm_shape {
    int nb; /* batch rank of the output */
    int64_t batch[NNQ_MAX_DIMS], ab[NNQ_MAX_DIMS], bb[NNQ_MAX_DIMS];
    int64_t M, N, K;
} mm_shape;

static nnq_status mm_read(const nnq_op_ctx *ctx, const nnq_tensor *A, const nnq_tensor *B,
                          mm_shape *s) {
    NNQ_TRY(nn_need_float(ctx, A, "A"));
    NNQ_TRY(nn_need_float(ctx, B, "B"));
    if (A->ndim < 1 || B->ndim < 1)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "inputs must have rank >= 1, got %d and %d", A->ndim, B->ndim);
    int ra = A->ndim, rb = B->ndim;
    s->M = ra == 1 ? 1 : A->dims[ra - 2];
    int64_t ka = A->dims[ra - 1];
    int64_t kb = rb == 1 ? B->dims[0] : B->dims[rb - 2];
    s->N = rb == 1 ? 1 : B->dims[rb - 1];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "A has %lld columns but B has %lld rows", (long long)ka, (long long)kb);
    s->K = ka;
    int na = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
    s->nb = na > nbb ? na : nbb;
    for (int i = 0; i < s->nb; i++) {
        int ia = i - (s->nb - na), ib = i - (s->nb - nbb);
        int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
        s->ab[i] = da;
        s->bb[i] = db;
        if (da != db && da != 1 && db != 1 && da >= 0 && db >= 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "batch dims %lld and %lld do not broadcast", (long long)da,
                                (long long)db);
        s->batch[i] = da == 1 ? db : da;
    }
    return NNQ_STATUS_OK;
}

nnq_status nn_matmul_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_out_shape *out, size_t n_out) {
    mm_shape s = {0};
    NNQ_TRY(mm_read(ctx, in[0], in[1], &s));
    out[0].dtype = NNQ_DTYPE_FLOAT32;
    int r = 0;
    for (int i = 0; i < s.nb; i++)
        out[0].dims[r++] = s.batch[i];
    if (in[0]->ndim > 1) out[0].dims[r++] = s.M;
    if (in[1]->ndim > 1) out[0].dims[r++] = s.N;
    out[0].ndim = r;
    return NNQ_STATUS_OK;
}

typedef struct mm_job {
    const mm_shape *s;
    const float *A, *B;
    float *Y;
} mm_job;

/* Offset of batch b's matrix in an operand with batch dims `od`. */
static size_t mm_offset(const mm_shape *s, const int64_t *od, size_t b, size_t mat) {
    size_t off = 0, stride = mat;
    for (int i = s->nb - 1; i >= 0; i--) {
        size_t idx = b % (size_t)s->batch[i];
        b /= (size_t)s->batch[i];
        if (od[i] != 1) off += idx * stride;
        stride *= (size_t)od[i];
    }
    return off;
}

static void mm_batches(void *ctx, size_t start, size_t count) {
    const mm_job *j = ctx;
    const mm_shape *s = j->s;
    size_t M = (size_t)s->M, N = (size_t)s->N, K = (size_t)s->K;
    for (size_t b = start; b < start + count; b++)
        nnq_sgemm(NULL, false, false, M, N, K, 1.0f, j->A + mm_offset(s, s->ab, b, M * K), K,
                  j->B + mm_offset(s, s->bb, b, K * N), N, 0.0f, j->Y + b * M * N, N);
}

nnq_status nn_matmul_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_tensor *const *out, size_t n_out) {
    mm_shape s = {0};
    NNQ_TRY(mm_read(ctx, in[0], in[1], &s));
    size_t nbatch = 1;
    bool b_shared = true, a_full = true;
    for (int i = 0; i < s.nb; i++) {
        nbatch *= (size_t)s.batch[i];
        b_shared = b_shared && s.bb[i] == 1;
        a_full = a_full && s.ab[i] == s.batch[i];
    }
    mm_job j = {&s, in[0]->data, in[1]->data, out[0]->data};
    size_t M = (size_t)s.M, N = (size_t)s.N, K = (size_t)s.K;
    if (b_shared && a_full) {
        /* One weight matrix for every batch: a single [batch*M, K] x [K, N]
         * product (the Linear-layer case). */
        nnq_sgemm(ctx->pool, false, false, nbatch * M, N, K, 1.0f, j.A, K, j.B, N, 0.0f, j.Y, N);
        return NNQ_STATUS_OK;
    }
    if (nbatch == 1) {
        nnq_sgemm(ctx->pool, false, false, M, N, K, 1.0f, j.A, K, j.B, N, 0.0f, j.Y, N);
        return NNQ_STATUS_OK;
    }
    /* Many independent products: one batch per task, each a fixed tiling. */
    nnq_pool_parallelize_1d(ctx->pool, mm_batches, &j, nbatch, 1);
    return NNQ_STATUS_OK;
}
