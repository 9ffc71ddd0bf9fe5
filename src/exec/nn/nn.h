/*
 * nn.h - helpers shared by the neural-network operators in src/exec/nn/.
 */
#ifndef NNQ_EXEC_NN_H
#define NNQ_EXEC_NN_H

#include "exec/op.h"

/*
 * C[M x N] = alpha * op(A) * op(B) + beta * C, row-major, op = transpose
 * when ta / tb.  beta == 0 ignores C's previous contents.  Runs on OpenBLAS
 * (single-threaded) over output tiles spread on the pool; the tiling depends
 * only on M, N, K, so results do not depend on the thread count.  With the
 * scalar path forced (nnq_cpu_features() == 0) it runs nnq_sgemm_ref.
 */
NNQ_INTERNAL void nnq_sgemm(nnq_pool *pool, bool ta, bool tb, size_t M, size_t N, size_t K,
                            float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                            float beta, float *C, size_t ldc);
/* The scalar reference: each C element accumulates over k in order. */
NNQ_INTERNAL void nnq_sgemm_ref(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
                                const float *A, size_t lda, const float *B, size_t ldb, float beta,
                                float *C, size_t ldc);

/*
 * The AVX2+FMA kernel behind nnq_sgemm (sgemm_avx2.c), serial; K > 0.
 * Each C element is an FMA chain over k in fixed blocks of 256, so results
 * do not depend on how M and N are tiled; they differ from nnq_sgemm_ref
 * only by rounding.
 */
NNQ_INTERNAL void nnq_sgemm_avx2(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha,
                                 const float *A, size_t lda, const float *B, size_t ldb,
                                 float beta, float *C, size_t ldc);

/*
 * Products whose B operand is produced block by block instead of read from
 * memory (Conv packs its im2col columns straight into the kernel's layout,
 * never materializing the whole column matrix).  pack(ctx, k0, kc, j0, nc,
 * dst) writes rows [k0, k0 + kc) x columns [j0, j0 + nc) of B, nc <=
 * NNQ_SGEMM_NC, as ceil(nc / NNQ_SGEMM_NR) strips of kc x NNQ_SGEMM_NR
 * floats (row-major within a strip, columns past nc zero).  It is called
 * from pool tasks, so it must be reentrant.
 */
enum { NNQ_SGEMM_NR = 16, NNQ_SGEMM_NC = 128, NNQ_SGEMM_KC = 256 };
typedef void (*nnq_sgemm_pack_fn)(const void *ctx, size_t k0, size_t kc, size_t j0, size_t nc,
                                  float *dst);
/* True when nnq_sgemm_packed can run (the AVX2+FMA kernel is selected). */
NNQ_INTERNAL bool nnq_sgemm_packed_ok(void);
/* C[M x N] = A[M x K] (row-major, lda) * B (from pack); K > 0; tiled over
 * the pool like nnq_sgemm.  Only when nnq_sgemm_packed_ok().  The result
 * is bit-identical to nnq_sgemm on the same B. */
NNQ_INTERNAL void nnq_sgemm_packed(nnq_pool *pool, size_t M, size_t N, size_t K, const float *A,
                                   size_t lda, nnq_sgemm_pack_fn pack, const void *pctx, float *C,
                                   size_t ldc);
/* The serial kernel behind nnq_sgemm_packed (sgemm_avx2.c). */
NNQ_INTERNAL void nnq_sgemm_avx2_packed(size_t M, size_t N, size_t K, const float *A, size_t lda,
                                        nnq_sgemm_pack_fn pack, const void *pctx, float *C,
                                        size_t ldc);

/*
 * Direct 2-D convolution tile (conv_direct_avx2.c): outputs of mr <= 6
 * pixels x nch <= 16 channels.  rows[i] points at pixel i's window corner
 * in a zero-padded image (all six valid; a short tile repeats one), tap k
 * is rows[i][koff[k]].  wp is a packed strip: NN_DCONV_NR bias values,
 * then K rows of NN_DCONV_NR weights (32-byte aligned, channels past the
 * end zero).  bias: add the strip's bias after the sum.  y[j * ldy + i]
 * receives channel j of pixel i.  Only when nnq_sgemm_packed_ok().
 */
enum { NN_DCONV_MR = 6, NN_DCONV_NR = 16 };
NNQ_INTERNAL void nn_dconv_tile_avx2(const float *const *rows, const ptrdiff_t *koff, size_t K,
                                     const float *wp, bool bias, size_t mr, size_t nch, float *y,
                                     size_t ldy);
/* Strip s of the weights W[M x K] (and bias, may be NULL) for
 * nn_dconv_tile_avx2: (K + 1) * NN_DCONV_NR floats at dst, 32-byte
 * aligned. */
NNQ_INTERNAL void nn_dconv_pack_weights_avx2(const float *w, size_t M, size_t K,
                                             const float *bias, size_t s, float *dst);

/*
 * The pool to run a loop of about `work` simple float operations on: NULL
 * (serial) below NN_PARALLEL_MIN, where waking the pool (~9 us for two
 * threads, `bench_exec --pool-overhead`) costs more than a second thread
 * saves.  The choice depends on sizes only and the tiles are the same
 * either way, so results stay independent of the thread count.
 */
enum { NN_PARALLEL_MIN = 1 << 16 };
static inline nnq_pool *nn_pool_for(nnq_pool *pool, size_t work) {
    return work < NN_PARALLEL_MIN ? NULL : pool;
}

/* DTYPE_MISMATCH unless t is float32 (`what` names the input). */
NNQ_INTERNAL nnq_status nn_need_float(const nnq_op_ctx *ctx, const nnq_tensor *t, const char *what);
/* Copy a tensor's dtype and shape into an inferred output. */
NNQ_INTERNAL void nn_out_like(nnq_out_shape *o, const nnq_tensor *t);
/* Normalize axis into [0, ndim), AXIS_OUT_OF_RANGE otherwise. */
NNQ_INTERNAL nnq_status nn_axis(const nnq_op_ctx *ctx, int64_t axis, int ndim, int *out);

/* Sliding-window geometry of Conv / ConvTranspose / pools over the spatial
 * dims (all dims after N and C).  A dim of -1 (not known yet) gives -1. */
typedef struct nn_window {
    int nsp;
    int64_t in[NNQ_MAX_DIMS], out[NNQ_MAX_DIMS];
    int64_t k[NNQ_MAX_DIMS], s[NNQ_MAX_DIMS], d[NNQ_MAX_DIMS];
    int64_t pb[NNQ_MAX_DIMS], pe[NNQ_MAX_DIMS];
} nn_window;

/*
 * Read kernel_shape / strides / dilations / pads / auto_pad (and ceil_mode
 * when allow_ceil) for input x.  kernel: the kernel's spatial dims from the
 * weight (Conv), or NULL to require the kernel_shape attribute (pools).
 */
NNQ_INTERNAL nnq_status nn_window_init(const nnq_op_ctx *ctx, const nnq_tensor *x,
                                       const int64_t *kernel, bool allow_ceil, nn_window *w);
/* The parsing half of nn_window_init: auto_pad 0 NOTSET, 1 SAME_UPPER,
 * 2 SAME_LOWER, 3 VALID; out[] is left 0. */
NNQ_INTERNAL nnq_status nn_window_parse(const nnq_op_ctx *ctx, const nnq_tensor *x,
                                        const int64_t *kernel, bool allow_ceil, nn_window *w,
                                        int *auto_pad, bool *ceil_mode);
/* Elements of the spatial output / input. */
NNQ_INTERNAL size_t nn_window_out_size(const nn_window *w);
NNQ_INTERNAL size_t nn_window_in_size(const nn_window *w);

/* Each operator's infer / run (and scratch) pair, listed in ops_nn.c. */
#define NN_OP_DECL(op)                                                                             \
    NNQ_INTERNAL nnq_status nn_##op##_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,    \
                                            size_t n_in, nnq_out_shape *out, size_t n_out);        \
    NNQ_INTERNAL nnq_status nn_##op##_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,      \
                                          size_t n_in, nnq_tensor *const *out, size_t n_out);
NN_OP_DECL(gemm)
NN_OP_DECL(matmul)
NN_OP_DECL(conv)
NN_OP_DECL(conv_transpose)
NN_OP_DECL(maxpool)
NN_OP_DECL(avgpool)
NN_OP_DECL(global_avgpool)
NN_OP_DECL(global_maxpool)
NN_OP_DECL(batchnorm)
NN_OP_DECL(layernorm)
NN_OP_DECL(instancenorm)
NN_OP_DECL(softmax)
NN_OP_DECL(logsoftmax)
NN_OP_DECL(lstm)
NNQ_INTERNAL size_t nn_conv_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                    size_t n_in);
NNQ_INTERNAL size_t nn_conv_transpose_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                              size_t n_in);
NNQ_INTERNAL size_t nn_lstm_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                    size_t n_in);

#endif
