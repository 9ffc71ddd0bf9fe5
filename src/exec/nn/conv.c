/*
 * conv.c - Conv (1-D/2-D/3-D, groups, dilations, auto_pad) and
 * ConvTranspose.
 *
 * Conv takes one of three routes, chosen from the shapes only:
 *   - direct (AVX2, 1-D/2-D, one group, not pointwise): the kernel of
 *     conv_direct_avx2.c reads each output pixel's window in place from a
 *     zero-padded copy of the input; no column matrix;
 *   - fused im2col (AVX2, grouped 2-D): columns packed block by block
 *     inside nnq_sgemm_packed;
 *   - im2col + nnq_sgemm (everything else, and the scalar / OpenBLAS
 *     builds); a pointwise conv is its own column matrix.
 * ConvTranspose runs sgemm then col2im.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exec/nn/nn.h"

typedef struct conv_geom {
    nn_window w;
    size_t N, C, M, G, Cg, Mg;
    size_t ksp, isp, osp; /* kernel / input / output spatial elements */
    bool pointwise;       /* 1x1, stride 1, no padding: X is its own im2col */
    bool batched;         /* all images in one product (see conv_geom_init) */
} conv_geom;

/* Checks shared by Conv and ConvTranspose: dtypes, ranks, group. */
static nnq_status conv_common(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                              int64_t *group) {
    NNQ_TRY(nn_need_float(ctx, in[0], "X"));
    NNQ_TRY(nn_need_float(ctx, in[1], "W"));
    if (n_in > 2 && in[2]) NNQ_TRY(nn_need_float(ctx, in[2], "B"));
    NNQ_TRY(nnq_attr_int(ctx->node, "group", 1, group));
    if (*group < 1)
        return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "group %lld must be >= 1",
                            (long long)*group);
    if (in[1]->ndim != in[0]->ndim)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH, "W has rank %d but X has rank %d",
                            in[1]->ndim, in[0]->ndim);
    return NNQ_STATUS_OK;
}

static nnq_status check_bias(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             int64_t M) {
    if (n_in < 3 || !in[2] || M < 0) return NNQ_STATUS_OK;
    if (in[2]->ndim != 1 || in[2]->dims[0] != M)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "B must be 1-D of %lld elements (one per "
                            "output channel), got rank %d with %lld",
                            (long long)M, in[2]->ndim,
                            (long long)(in[2]->ndim ? in[2]->dims[0] : 1));
    return NNQ_STATUS_OK;
}

static void geom_sizes(conv_geom *g, const nnq_tensor *x, int64_t M, int64_t group) {
    g->N = (size_t)x->dims[0];
    g->C = (size_t)x->dims[1];
    g->M = (size_t)M;
    g->G = (size_t)group;
    g->Cg = g->C / g->G;
    g->Mg = g->M / g->G;
    g->ksp = g->isp = g->osp = 1;
    for (int i = 0; i < g->w.nsp; i++) {
        g->ksp *= (size_t)g->w.k[i];
        g->isp *= (size_t)g->w.in[i];
        g->osp *= (size_t)g->w.out[i];
    }
}

/* ---------------------------------------------------------------- Conv */

static nnq_status conv_geom_init(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 conv_geom *g) {
    int64_t group;
    NNQ_TRY(conv_common(ctx, in, n_in, &group));
    const nnq_tensor *x = in[0], *w = in[1];
    NNQ_TRY(nn_window_init(ctx, x, w->dims + 2, false, &g->w));
    int64_t C = x->dims[1], M = w->dims[0];
    if (C >= 0 && w->dims[1] >= 0 && w->dims[1] * group != C)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "X has %lld channels but W expects %lld per group x %lld groups",
                            (long long)C, (long long)w->dims[1], (long long)group);
    if (M >= 0 && M % group != 0)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "W has %lld output channels, not a multiple of group %lld",
                            (long long)M, (long long)group);
    NNQ_TRY(check_bias(ctx, in, n_in, M));
    memset(&g->N, 0, sizeof *g - offsetof(conv_geom, N));
    if (x->dims[0] < 0 || C < 0 || M < 0 || g->w.out[0] < 0) return NNQ_STATUS_OK;
    geom_sizes(g, x, M, group);
    g->pointwise = true;
    for (int i = 0; i < g->w.nsp; i++)
        g->pointwise =
            g->pointwise && g->w.k[i] == 1 && g->w.s[i] == 1 && g->w.pb[i] == 0 && g->w.pe[i] == 0;
    /* Small feature maps make one product per image too small for BLAS to
     * run well; then the images share one product [M, K] x [K, N * osp]. */
    g->batched = g->G == 1 && g->N > 1 && g->osp < 1024;
    if (g->batched) g->pointwise = false;
    return NNQ_STATUS_OK;
}

nnq_status nn_conv_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_out_shape *out, size_t n_out) {
    conv_geom g = {0};
    NNQ_TRY(conv_geom_init(ctx, in, n_in, &g));
    out[0].dtype = NNQ_DTYPE_FLOAT32;
    out[0].ndim = in[0]->ndim;
    out[0].dims[0] = in[0]->dims[0];
    out[0].dims[1] = in[1]->dims[0];
    for (int i = 0; i < g.w.nsp; i++)
        out[0].dims[2 + i] = g.w.out[i];
    return NNQ_STATUS_OK;
}

/* The column matrix (batched: of every image, then the [M, N * osp]
 * product). */
static size_t conv_scratch_im2col(const conv_geom *g) {
    size_t n, rows = g->C * g->ksp;
    if (g->batched) {
        if (!nnq_size_add(rows, g->M, &rows) || !nnq_size_mul(rows, g->N, &rows)) return SIZE_MAX;
    }
    if (!nnq_size_mul(rows, g->osp, &n) || !nnq_size_mul(n, sizeof(float), &n))
        return SIZE_MAX; /* the allocation then fails with a message */
    return n;
}

#if !defined(NNQ_REFERENCE_ONLY)
static size_t direct_bytes(const conv_geom *g);
#endif

size_t nn_conv_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in) {
    conv_geom g = {0};
    if (conv_geom_init(ctx, in, n_in, &g)) return 0;
    size_t n = g.pointwise ? 0 : conv_scratch_im2col(&g);
    /* the scalar path may be forced after planning: room for either */
#if !defined(NNQ_REFERENCE_ONLY)
    n = NNQ_MAX(n, direct_bytes(&g));
#endif
    return n;
}

typedef struct conv_job {
    const conv_geom *g;
    const float *x, *w, *b;
    float *col, *y;
    size_t n;
    bool fused; /* im2col packed inside the product (conv_pack) */
} conv_job;

/* dst[i] = src[i * s] for i < n; stride 1 and 2 (the downsampling conv)
 * get their own loops so the compiler vectorizes them. */
static void gather_row(float *restrict dst, const float *restrict src, int64_t s, int64_t n) {
    if (s == 1)
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[i];
    else if (s == 2)
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[2 * i];
    else
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[i * s];
}

/* Outputs [lo, hi) of a window dim whose tap starts at input base read
 * inside [0, in); the rest fall in the padding. */
static void tap_range(int64_t base, int64_t s, int64_t in, int64_t olen, int64_t *lo,
                      int64_t *hi) {
    /* stride 1 (most convs) skips two divisions per row */
    int64_t l = base >= 0 ? 0 : s == 1 ? -base : (-base + s - 1) / s;
    int64_t h = base >= in ? 0 : s == 1 ? in - base : (in - base + s - 1) / s;
    if (l > olen) l = olen;
    if (h > olen) h = olen;
    *lo = l;
    *hi = h < l ? l : h;
}

/* The 2-D case of im2col (nearly every Conv): the column range of each
 * (c, kh, kw) row is computed once, not per output row. */
static void im2col_2d(const conv_geom *g, const float *x, float *col, size_t ld, size_t start,
                      size_t count) {
    const nn_window *w = &g->w;
    int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1];
    size_t kw = (size_t)w->k[1];
    for (size_t r = start; r < start + count; r++) {
        size_t c = r / g->ksp, kk = r % g->ksp;
        int64_t hb = (int64_t)(kk / kw) * w->d[0] - w->pb[0];
        int64_t wb = (int64_t)(kk % kw) * w->d[1] - w->pb[1];
        int64_t hlo, hhi, lo, hi;
        tap_range(hb, w->s[0], H, OH, &hlo, &hhi);
        tap_range(wb, w->s[1], W, OW, &lo, &hi);
        const float *xc = x + c * g->isp;
        float *dst = col + r * ld;
        memset(dst, 0, (size_t)(hlo * OW) * sizeof *dst);
        for (int64_t oh = hlo; oh < hhi; oh++) {
            float *d = dst + oh * OW;
            for (int64_t o = 0; o < lo; o++)
                d[o] = 0.0f;
            gather_row(d + lo, xc + (oh * w->s[0] + hb) * W + lo * w->s[1] + wb, w->s[1], hi - lo);
            for (int64_t o = hi; o < OW; o++)
                d[o] = 0.0f;
        }
        memset(dst + hhi * OW, 0, (size_t)((OH - hhi) * OW) * sizeof *dst);
    }
}

/* im2col rows [start, start + count) of channel block x (rows = c * ksp + kk)
 * into col, whose rows are ld floats apart. */
static void im2col(const conv_geom *g, const float *x, float *col, size_t ld, size_t start,
                   size_t count) {
    const nn_window *w = &g->w;
    if (w->nsp == 2) {
        im2col_2d(g, x, col, ld, start, count);
        return;
    }
    int L = w->nsp - 1;
    size_t olen = (size_t)w->out[L], outer = g->osp / olen;
    for (size_t r = start; r < start + count; r++) {
        size_t c = r / g->ksp, kk = r % g->ksp;
        int64_t ko[NNQ_MAX_DIMS], o[NNQ_MAX_DIMS] = {0};
        for (int d = L; d >= 0; d--) {
            ko[d] = (int64_t)(kk % (size_t)w->k[d]);
            kk /= (size_t)w->k[d];
        }
        const float *xc = x + c * g->isp;
        float *dst = col + r * ld;
        int64_t s = w->s[L], base = ko[L] * w->d[L] - w->pb[L], in = w->in[L];
        for (size_t q = 0; q < outer; q++, dst += olen) {
            bool valid = true;
            size_t off = 0;
            for (int d = 0; d < L; d++) {
                int64_t i = o[d] * w->s[d] - w->pb[d] + ko[d] * w->d[d];
                valid = valid && i >= 0 && i < w->in[d];
                off = off * (size_t)w->in[d] + (size_t)(valid ? i : 0);
            }
            if (!valid) {
                memset(dst, 0, olen * sizeof *dst);
            } else {
                /* outputs [lo, hi) read inside the row; the rest is padding */
                int64_t lo, hi;
                tap_range(base, s, in, (int64_t)olen, &lo, &hi);
                for (int64_t ow = 0; ow < lo; ow++)
                    dst[ow] = 0.0f;
                gather_row(dst + lo, xc + off * (size_t)in + lo * s + base, s, hi - lo);
                for (int64_t ow = hi; ow < (int64_t)olen; ow++)
                    dst[ow] = 0.0f;
            }
            for (int d = L - 1; d >= 0; d--) {
                if (++o[d] < w->out[d]) break;
                o[d] = 0;
            }
        }
    }
}

/*
 * Fused im2col for the 2-D case: the columns of the product are output
 * positions (image, oh, ow) of the images at x (C * isp floats apart), the
 * rows (c, kh, kw); nnq_sgemm_packed pulls them block by block, so the
 * column matrix never goes through memory.  Grouped convs use it; one-group
 * convs take the direct path (conv_run_direct).
 */
typedef struct conv_pack {
    const conv_geom *g;
    const float *x;
} conv_pack;

/*
 * A run of packed columns that stays inside one output row and one kernel
 * strip: block columns [t, t + len) are outputs ow0 ... of row oh of the
 * image whose channel 0 starts at x + xoff, and land at dst + off + k * NR
 * for row k.  The column -> (image, oh, ow) mapping is the same for every
 * row of a block, so it is worked out once per block, not once per row.
 */
typedef struct pack_seg {
    size_t off, xoff;
    int64_t ih0, ow0, len; /* ih0 = oh * stride_h */
} pack_seg;

/* Cut block columns [j0, j0 + nc) of a kc-row block into segments (at
 * most nc); returns their count. */
static size_t pack_segments(const conv_geom *g, size_t j0, size_t nc, size_t kc, pack_seg *seg) {
    enum { NR = NNQ_SGEMM_NR };
    int64_t OH = g->w.out[0], OW = g->w.out[1];
    size_t img = j0 / g->osp, p = j0 % g->osp, n = 0;
    int64_t oh = (int64_t)(p / (size_t)OW), ow = (int64_t)(p % (size_t)OW);
    for (size_t t = 0; t < nc; n++) {
        size_t len = NNQ_MIN(NNQ_MIN((size_t)(OW - ow), nc - t), NR - t % NR);
        seg[n] = (pack_seg){t / NR * kc * NR + t % NR, img * g->C * g->isp, oh * g->w.s[0], ow,
                            (int64_t)len};
        t += len;
        if ((ow += (int64_t)len) < OW) continue;
        ow = 0;
        if (++oh == OH) oh = 0, img++;
    }
    return n;
}

/* Row (c, kh, kw) of the column matrix into every segment of the block. */
static void pack_row(const conv_geom *g, const float *x, size_t c, size_t kh, size_t kw,
                     const pack_seg *seg, size_t nseg, float *dst) {
    const nn_window *w = &g->w;
    int64_t H = w->in[0], W = w->in[1], sw = w->s[1];
    int64_t hb = (int64_t)kh * w->d[0] - w->pb[0];
    int64_t wb = (int64_t)kw * w->d[1] - w->pb[1];
    int64_t lo, hi;
    tap_range(wb, sw, W, w->out[1], &lo, &hi);
    /* integer offsets: x + wb alone may point before the tensor */
    int64_t xc = (int64_t)(c * g->isp) + wb;
    for (size_t i = 0; i < nseg; i++) {
        const pack_seg *s = &seg[i];
        int64_t ow = s->ow0, end = ow + s->len, ih = s->ih0 + hb;
        /* [ow, a) and [b, end) are padding, [a, b) reads the input row */
        int64_t a = end, b = end;
        if (ih >= 0 && ih < H) {
            a = ow > lo ? ow : NNQ_MIN(lo, end);
            b = hi > a ? NNQ_MIN(hi, end) : a;
        }
        float *d = dst + s->off;
        for (int64_t o = ow; o < a; o++)
            d[o - ow] = 0.0f;
        if (b > a)
            gather_row(d + (a - ow), x + ((int64_t)s->xoff + xc + ih * W + a * sw), sw, b - a);
        for (int64_t o = b; o < end; o++)
            d[o - ow] = 0.0f;
    }
}

static void conv_pack_fn(const void *ctx, size_t k0, size_t kc, size_t j0, size_t nc, float *dst) {
    const conv_pack *cp = ctx;
    enum { NR = NNQ_SGEMM_NR };
    pack_seg seg[NNQ_SGEMM_NC];
    size_t nseg = pack_segments(cp->g, j0, nc, kc, seg);
    /* the last strip's columns past nc stay zero */
    if (nc % NR) memset(dst + nc / NR * kc * NR, 0, kc * NR * sizeof *dst);
    /* (c, kh, kw) of row k0, then counted up: no divisions per row */
    size_t KH = (size_t)cp->g->w.k[0], KW = (size_t)cp->g->w.k[1];
    size_t c = k0 / cp->g->ksp, kk = k0 % cp->g->ksp, kh = kk / KW, kw = kk % KW;
    for (size_t k = 0; k < kc; k++, dst += NR) {
        pack_row(cp->g, cp->x, c, kh, kw, seg, nseg, dst);
        if (++kw < KW) continue;
        kw = 0;
        if (++kh == KH) kh = 0, c++;
    }
}

#if !defined(NNQ_REFERENCE_ONLY)
/*
 * Direct path (the AVX2 kernel, 1-D and 2-D, one group): see
 * conv_direct_avx2.c.  Per pass of images the inputs are copied into
 * zero-padded planes (when the conv pads), the weights are packed once per
 * call into 16-channel strips, and tiles of 6 pixels x all strips run on
 * the pool.  Scratch: the packed weights, the tap offsets and one pass of
 * padded images.
 */
enum { DIRECT_PASS = 1 << 21, DIRECT_PREP_MIN = 1 << 12 };

typedef struct direct_geom {
    int64_t H, W, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw, PH, PW;
    size_t K, strips, wp_floats, plane; /* plane: floats per padded image */
    bool padded;
} direct_geom;

static bool direct_geom_init(const conv_geom *g, direct_geom *d) {
    const nn_window *w = &g->w;
    if ((w->nsp != 1 && w->nsp != 2) || g->G != 1 || g->C == 0) return false;
    int a = w->nsp - 1; /* 1-D: a single row */
    *d = (direct_geom){.H = a ? w->in[0] : 1, .W = w->in[a], .OH = a ? w->out[0] : 1,
                       .OW = w->out[a], .KH = a ? w->k[0] : 1, .KW = w->k[a],
                       .sh = a ? w->s[0] : 1, .sw = w->s[a], .dh = a ? w->d[0] : 1,
                       .dw = w->d[a], .ph = a ? w->pb[0] : 0, .pw = w->pb[a]};
    d->padded = d->ph || d->pw || w->pe[0] || w->pe[a];
    d->PH = d->H + d->ph + (a ? w->pe[0] : 0);
    d->PW = d->W + d->pw + w->pe[a];
    d->K = g->C * g->ksp;
    d->strips = (g->M + NN_DCONV_NR - 1) / NN_DCONV_NR;
    size_t n;
    if (!nnq_size_mul(d->K + 1, NN_DCONV_NR, &n) || !nnq_size_mul(n, d->strips, &d->wp_floats))
        return false;
    if (!nnq_size_mul((size_t)d->PH, (size_t)d->PW, &n) || !nnq_size_mul(n, g->C, &d->plane))
        return false;
    return d->plane < (size_t)PTRDIFF_MAX / sizeof(float);
}

static size_t direct_images(const conv_geom *g, const direct_geom *d) {
    if (!d->padded) return g->N;
    return NNQ_MAX(NNQ_MIN(g->N, DIRECT_PASS / sizeof(float) / NNQ_MAX(d->plane, (size_t)1)),
                   (size_t)1);
}

/* Scratch bytes of the direct path, 0 when it does not apply. */
static size_t direct_bytes(const conv_geom *g) {
    direct_geom d;
    if (!direct_geom_init(g, &d)) return 0;
    size_t n = d.wp_floats, p = 0;
    if (d.padded && !nnq_size_mul(direct_images(g, &d), d.plane, &p)) return 0;
    if (!nnq_size_add(n, p, &n) || !nnq_size_add(n, d.K * 2, &n) /* koff */ ||
        !nnq_size_mul(n, sizeof(float), &n))
        return 0;
    return n + 64;
}

typedef struct direct_job {
    const conv_geom *g;
    const direct_geom *d;
    const float *x, *w, *b;
    float *wp, *xp, *y;
    const ptrdiff_t *koff;
    size_t n0, ptiles; /* first image of the pass, pixel tiles per image */
    bool prep_strips; /* direct_prep_task: items are strips (else planes) */
} direct_job;

/* Items: weight strips to pack, or padded planes (image, channel) to copy. */
static void direct_prep_task(void *ctx, size_t start, size_t count) {
    const direct_job *j = ctx;
    const conv_geom *g = j->g;
    const direct_geom *d = j->d;
    for (size_t it = start; it < start + count; it++) {
        if (j->prep_strips) {
            nn_dconv_pack_weights_avx2(j->w, g->M, d->K, j->b, it,
                                       j->wp + it * (d->K + 1) * NN_DCONV_NR);
            continue;
        }
        size_t img = it / g->C, c = it % g->C;
        const float *src = j->x + ((j->n0 + img) * g->C + c) * g->isp;
        float *dst = j->xp + img * d->plane + c * (size_t)(d->PH * d->PW);
        memset(dst, 0, (size_t)(d->ph * d->PW) * sizeof *dst);
        for (int64_t h = 0; h < d->H; h++) {
            float *row = dst + (d->ph + h) * d->PW;
            memset(row, 0, (size_t)d->pw * sizeof *row);
            memcpy(row + d->pw, src + h * d->W, (size_t)d->W * sizeof *row);
            memset(row + d->pw + d->W, 0, (size_t)(d->PW - d->pw - d->W) * sizeof *row);
        }
        memset(dst + (d->ph + d->H) * d->PW, 0,
               (size_t)((d->PH - d->ph - d->H) * d->PW) * sizeof *dst);
    }
}

/*
 * Task: strips [s0, s0 + ns) x pixel tiles [t0, t0 + nt) of the pass
 * (image-major).  Pixel ranges are runs of DIRECT_GROUP tiles (48 pixels,
 * three cache lines of an output row), so two threads do not write the
 * same output lines.
 */
enum { DIRECT_GROUP = 8 };
static void direct_run_task(void *ctx, size_t s0, size_t t0, size_t ns, size_t nt) {
    const direct_job *j = ctx;
    const conv_geom *g = j->g;
    const direct_geom *d = j->d;
    for (size_t s = s0; s < s0 + ns; s++) {
        size_t m0 = s * NN_DCONV_NR, nch = NNQ_MIN((size_t)NN_DCONV_NR, g->M - m0);
        const float *wp = j->wp + s * (d->K + 1) * NN_DCONV_NR;
        for (size_t t = t0; t < t0 + nt; t++) {
            size_t img = t / j->ptiles, p0 = t % j->ptiles * NN_DCONV_MR;
            size_t mr = NNQ_MIN((size_t)NN_DCONV_MR, g->osp - p0);
            const float *base = d->padded ? j->xp + img * d->plane
                                          : j->x + (j->n0 + img) * g->C * g->isp;
            const float *rows[NN_DCONV_MR];
            for (size_t i = 0; i < NN_DCONV_MR; i++) {
                size_t p = p0 + NNQ_MIN(i, mr - 1);
                int64_t oh = (int64_t)p / d->OW, ow = (int64_t)p % d->OW;
                rows[i] = base + oh * d->sh * d->PW + ow * d->sw;
            }
            float *y = j->y + ((j->n0 + img) * g->M + m0) * g->osp + p0;
            nn_dconv_tile_avx2(rows, j->koff, d->K, wp, j->b != NULL, mr, nch, y, g->osp);
        }
    }
}

static void conv_run_direct(const conv_job *cj, nnq_pool *pool) {
    const conv_geom *g = cj->g;
    direct_geom d;
    direct_geom_init(g, &d);
    float *wp = (float *)(((uintptr_t)cj->col + 63) & ~(uintptr_t)63);
    ptrdiff_t *koff = (ptrdiff_t *)(wp + d.wp_floats);
    float *xp = (float *)(koff + d.K);
    /* tap (c, kh, kw) of a window, as an offset from its corner */
    size_t k = 0;
    for (size_t c = 0; c < g->C; c++)
        for (int64_t kh = 0; kh < d.KH; kh++)
            for (int64_t kw = 0; kw < d.KW; kw++)
                koff[k++] = (ptrdiff_t)(c * (size_t)(d.PH * d.PW)) + kh * d.dh * d.PW + kw * d.dw;
    direct_job j = {.g = g, .d = &d, .x = cj->x, .w = cj->w, .b = cj->b, .wp = wp, .xp = xp,
                    .y = cj->y, .koff = koff, .ptiles = (g->osp + NN_DCONV_MR - 1) / NN_DCONV_MR};
    /* The copies run where the pool's shares put them: strips, planes and
     * run tasks are all ordered so that a thread's share of one is mostly
     * what it reads in the next. */
    j.prep_strips = true;
    nnq_pool_parallelize_1d(d.wp_floats >= DIRECT_PREP_MIN ? pool : NULL, direct_prep_task, &j,
                            d.strips, 1);
    j.prep_strips = false;
    size_t per = direct_images(g, &d);
    for (j.n0 = 0; j.n0 < g->N; j.n0 += per) {
        size_t nb = NNQ_MIN(per, g->N - j.n0);
        if (d.padded)
            nnq_pool_parallelize_1d(nb * d.plane >= DIRECT_PREP_MIN ? pool : NULL,
                                    direct_prep_task, &j, nb * g->C, 1);
        /* Each task reads its strips' weights and its pixels' inputs.
         * Tasks run strip-major or pixel-major, so that a thread's share
         * of them splits whichever is larger and the threads share the
         * smaller one (batch-1 convs of small feature maps read more
         * weights than inputs; large maps the other way round). */
        size_t tiles = nb * j.ptiles, x_floats = nb * g->C * g->isp, w_floats = g->M * d.K;
        bool by_strip = w_floats >= x_floats && d.strips > 1;
        nnq_pool_parallelize_2d(pool, direct_run_task, &j, d.strips, tiles,
                                by_strip ? 1 : d.strips, DIRECT_GROUP);
    }
}
#endif

static void im2col_task(void *ctx, size_t start, size_t count) {
    const conv_job *j = ctx;
    im2col(j->g, j->x + j->n * j->g->C * j->g->isp, j->col, j->g->osp, start, count);
}

/* Y[n, group gi] = W_g x col_g (+ bias later); pool NULL inside tasks. */
static void conv_group(const conv_job *j, size_t gi, nnq_pool *pool) {
    const conv_geom *g = j->g;
    size_t K = g->Cg * g->ksp;
    if (j->fused) {
        conv_pack cp = {g, j->x + (j->n * g->C + gi * g->Cg) * g->isp};
        nnq_sgemm_packed(pool, g->Mg, g->osp, K, j->w + gi * g->Mg * K, K, conv_pack_fn, &cp,
                         j->y + (j->n * g->M + gi * g->Mg) * g->osp, g->osp);
        return;
    }
    const float *col =
        g->pointwise ? j->x + (j->n * g->C + gi * g->Cg) * g->isp : j->col + gi * K * g->osp;
    nnq_sgemm(pool, false, false, g->Mg, g->osp, K, 1.0f, j->w + gi * g->Mg * K, K, col, g->osp,
              0.0f, j->y + (j->n * g->M + gi * g->Mg) * g->osp, g->osp);
}

static void conv_group_task(void *ctx, size_t start, size_t count) {
    const conv_job *j = ctx;
    const conv_geom *g = j->g;
    for (size_t gi = start; gi < start + count; gi++) {
        if (!g->pointwise && !j->fused)
            im2col(g, j->x + j->n * g->C * g->isp, j->col, g->osp, gi * g->Cg * g->ksp,
                   g->Cg * g->ksp);
        conv_group(j, gi, NULL);
    }
}

static void bias_task(void *ctx, size_t start, size_t count) {
    const conv_job *j = ctx;
    size_t plane = j->g->osp;
    for (size_t r = start; r < start + count; r++) {
        float b = j->b[r % j->g->M];
        float *y = j->y + r * plane;
        for (size_t i = 0; i < plane; i++)
            y[i] += b;
    }
}

/* Batched mode: image n's columns start at n * osp in rows of N * osp. */
static void im2col_batched_task(void *ctx, size_t n, size_t r, size_t nn, size_t nr) {
    const conv_job *j = ctx;
    const conv_geom *g = j->g;
    for (size_t i = n; i < n + nn; i++)
        im2col(g, j->x + i * g->C * g->isp, j->col + i * g->osp, g->N * g->osp, r, nr);
}

/* Batched mode: Y[n, m, :] = product[m, n * osp ...] + bias[m]. */
static void unbatch_task(void *ctx, size_t start, size_t count) {
    const conv_job *j = ctx;
    const conv_geom *g = j->g;
    const float *prod = j->col + g->C * g->ksp * g->N * g->osp;
    for (size_t row = start; row < start + count; row++) {
        size_t n = row / g->M, m = row % g->M;
        const float *src = prod + (m * g->N + n) * g->osp;
        float *dst = j->y + row * g->osp, b = j->b ? j->b[m] : 0.0f;
        for (size_t i = 0; i < g->osp; i++)
            dst[i] = src[i] + b;
    }
}

nnq_status nn_conv_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                       nnq_tensor *const *out, size_t n_out) {
    conv_geom g = {0};
    NNQ_TRY(conv_geom_init(ctx, in, n_in, &g));
    conv_job j = {&g,
                  in[0]->data,
                  in[1]->data,
                  n_in > 2 && in[2] ? in[2]->data : NULL,
                  ctx->scratch,
                  out[0]->data,
                  0,
                  false};
    if (g.osp == 0 || g.N == 0 || g.M == 0) return NNQ_STATUS_OK;
    j.fused = g.w.nsp == 2 && !g.pointwise && g.Cg > 0 && nnq_sgemm_packed_ok();
#if !defined(NNQ_REFERENCE_ONLY)
    if (!g.pointwise && nnq_sgemm_packed_ok() && direct_bytes(&g)) {
        conv_run_direct(&j, ctx->pool);
        return NNQ_STATUS_OK;
    }
#endif
    if (g.batched) {
        /* (with AVX2, 1-D and 2-D convs took the direct path above) */
        size_t K = g.C * g.ksp, cols = g.N * g.osp;
        nnq_pool_parallelize_2d(ctx->pool, im2col_batched_task, &j, g.N, K, 1, 16);
        nnq_sgemm(ctx->pool, false, false, g.M, cols, K, 1.0f, j.w, K, j.col, cols, 0.0f,
                  j.col + K * cols, cols);
        nnq_pool_parallelize_1d(nn_pool_for(ctx->pool, g.N * g.M * g.osp), unbatch_task, &j,
                                g.N * g.M, 16);
        return NNQ_STATUS_OK;
    }
    /* Many small groups (depthwise): one task per group.  Few groups: the
     * im2col rows and then each product spread on the pool.  The choice
     * depends on the sizes only. */
    bool per_group = g.G >= 8;
    for (j.n = 0; j.n < g.N; j.n++) {
        if (per_group) {
            nnq_pool_parallelize_1d(ctx->pool, conv_group_task, &j, g.G, 1);
            continue;
        }
        if (!g.pointwise && !j.fused)
            nnq_pool_parallelize_1d(ctx->pool, im2col_task, &j, g.C * g.ksp, 16);
        for (size_t gi = 0; gi < g.G; gi++)
            conv_group(&j, gi, ctx->pool);
    }
    if (j.b)
        nnq_pool_parallelize_1d(nn_pool_for(ctx->pool, g.N * g.M * g.osp), bias_task, &j,
                                g.N * g.M, 16);
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- ConvTranspose */

static nnq_status convt_geom_init(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                  conv_geom *g) {
    int64_t group;
    NNQ_TRY(conv_common(ctx, in, n_in, &group));
    const nnq_tensor *x = in[0], *w = in[1];
    int ap;
    bool ceil_mode;
    NNQ_TRY(nn_window_parse(ctx, x, w->dims + 2, false, &g->w, &ap, &ceil_mode));
    int nsp = g->w.nsp;
    int64_t C = x->dims[1], M = w->dims[1] < 0 ? -1 : w->dims[1] * group;
    if (C >= 0 && w->dims[0] >= 0 && w->dims[0] != C)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "X has %lld channels but W's first dim is %lld", (long long)C,
                            (long long)w->dims[0]);
    if (C >= 0 && C % group != 0)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "X has %lld channels, not a multiple of group %lld", (long long)C,
                            (long long)group);
    NNQ_TRY(check_bias(ctx, in, n_in, M));
    int64_t opad[NNQ_MAX_DIMS] = {0};
    const int64_t *v;
    size_t n;
    NNQ_TRY(nnq_attr_ints(ctx->node, "output_padding", &v, &n));
    if (n && n != (size_t)nsp)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_FORMAT,
                            "output_padding has %zu values for %d spatial dims", n, nsp);
    for (size_t i = 0; i < n; i++)
        opad[i] = v[i];
    const int64_t *os;
    size_t nos;
    NNQ_TRY(nnq_attr_ints(ctx->node, "output_shape", &os, &nos));
    if (nos && nos != (size_t)nsp && nos != (size_t)nsp + 2)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_FORMAT,
                            "output_shape has %zu values for %d spatial dims", nos, nsp);
    if (nos) os += nos - (size_t)nsp;
    for (int i = 0; i < nsp; i++) {
        int64_t in_d = g->w.in[i], ek = (g->w.k[i] - 1) * g->w.d[i] + 1, s = g->w.s[i];
        if (in_d < 0 || g->w.k[i] < 0) {
            g->w.out[i] = -1;
            continue;
        }
        int64_t full = s * (in_d - 1) + opad[i] + ek;
        if (nos || ap == 1 || ap == 2) {
            /* Padding follows from the requested output size. */
            int64_t want = nos ? os[i] : in_d * s;
            int64_t total = full - want;
            if (total < 0) total = 0;
            g->w.out[i] = want;
            int64_t small = total / 2, big = total - small;
            g->w.pb[i] = ap == 2 ? big : small;
            g->w.pe[i] = ap == 2 ? small : big;
            continue;
        }
        if (ap == 3) g->w.pb[i] = g->w.pe[i] = 0;
        g->w.out[i] = full - g->w.pb[i] - g->w.pe[i];
        if (g->w.out[i] < 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "spatial dim %d gives output size %lld < 0", i,
                                (long long)g->w.out[i]);
    }
    memset(&g->N, 0, sizeof *g - offsetof(conv_geom, N));
    if (x->dims[0] < 0 || C < 0 || M < 0 || g->w.out[0] < 0) return NNQ_STATUS_OK;
    geom_sizes(g, x, M, group);
    return NNQ_STATUS_OK;
}

nnq_status nn_conv_transpose_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                   nnq_out_shape *out, size_t n_out) {
    conv_geom g = {0};
    NNQ_TRY(convt_geom_init(ctx, in, n_in, &g));
    int64_t group;
    NNQ_TRY(nnq_attr_int(ctx->node, "group", 1, &group));
    out[0].dtype = NNQ_DTYPE_FLOAT32;
    out[0].ndim = in[0]->ndim;
    out[0].dims[0] = in[0]->dims[0];
    out[0].dims[1] = in[1]->dims[1] < 0 ? -1 : in[1]->dims[1] * group;
    for (int i = 0; i < g.w.nsp; i++)
        out[0].dims[2 + i] = g.w.out[i];
    return NNQ_STATUS_OK;
}

size_t nn_conv_transpose_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in) {
    conv_geom g = {0};
    if (convt_geom_init(ctx, in, n_in, &g)) return 0;
    size_t n;
    if (!nnq_size_mul(g.Mg, g.ksp, &n) || !nnq_size_mul(n, g.isp, &n) ||
        !nnq_size_mul(n, sizeof(float), &n))
        return SIZE_MAX;
    return n;
}

/* Scatter-add col rows of output channel m (within the group) into y. */
static void col2im_channel(const conv_geom *g, const float *col, float *y, size_t m) {
    const nn_window *w = &g->w;
    int L = w->nsp - 1;
    size_t ilen = (size_t)w->in[L], outer = g->isp / ilen;
    for (size_t kk0 = 0; kk0 < g->ksp; kk0++) {
        int64_t ko[NNQ_MAX_DIMS], i[NNQ_MAX_DIMS] = {0};
        size_t kk = kk0;
        for (int d = L; d >= 0; d--) {
            ko[d] = (int64_t)(kk % (size_t)w->k[d]);
            kk /= (size_t)w->k[d];
        }
        const float *src = col + (m * g->ksp + kk0) * g->isp;
        int64_t s = w->s[L], base = ko[L] * w->d[L] - w->pb[L], on = w->out[L];
        for (size_t q = 0; q < outer; q++, src += ilen) {
            bool valid = true;
            size_t off = 0;
            for (int d = 0; d < L; d++) {
                int64_t o = i[d] * w->s[d] - w->pb[d] + ko[d] * w->d[d];
                valid = valid && o >= 0 && o < w->out[d];
                off = off * (size_t)w->out[d] + (size_t)(valid ? o : 0);
            }
            if (valid) {
                float *row = y + off * (size_t)on;
                for (size_t iw = 0; iw < ilen; iw++) {
                    int64_t ow = (int64_t)iw * s + base;
                    if (ow >= 0 && ow < on) row[ow] += src[iw];
                }
            }
            for (int d = L - 1; d >= 0; d--) {
                if (++i[d] < w->in[d]) break;
                i[d] = 0;
            }
        }
    }
}

typedef struct convt_job {
    const conv_geom *g;
    const float *col;
    float *y; /* output of (n, group) */
} convt_job;

static void col2im_task(void *ctx, size_t start, size_t count) {
    const convt_job *j = ctx;
    for (size_t m = start; m < start + count; m++)
        col2im_channel(j->g, j->col, j->y + m * j->g->osp, m);
}

nnq_status nn_conv_transpose_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_tensor *const *out, size_t n_out) {
    conv_geom g = {0};
    NNQ_TRY(convt_geom_init(ctx, in, n_in, &g));
    const float *x = in[0]->data, *w = in[1]->data;
    const float *b = n_in > 2 && in[2] ? in[2]->data : NULL;
    float *y = out[0]->data, *col = ctx->scratch;
    for (size_t r = 0; r < g.N * g.M; r++)
        for (size_t i = 0; i < g.osp; i++)
            y[r * g.osp + i] = b ? b[r % g.M] : 0.0f;
    if (g.isp == 0 || g.osp == 0) return NNQ_STATUS_OK;
    size_t rows = g.Mg * g.ksp;
    for (size_t n = 0; n < g.N; n++)
        for (size_t gi = 0; gi < g.G; gi++) {
            /* col[Mg*ksp, isp] = W_g^T x X_g, W_g being [Cg, Mg*ksp]. */
            nnq_sgemm(ctx->pool, true, false, rows, g.isp, g.Cg, 1.0f, w + gi * g.Cg * rows, rows,
                      x + (n * g.C + gi * g.Cg) * g.isp, g.isp, 0.0f, col, g.isp);
            convt_job j = {&g, col, y + (n * g.M + gi * g.Mg) * g.osp};
            nnq_pool_parallelize_1d(ctx->pool, col2im_task, &j, g.Mg, 1);
        }
    return NNQ_STATUS_OK;
}
