/* cpu.c - x86 feature detection (cpuid + xgetbv) and forcing the scalar path. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect(void) {
    uint32_t a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    bool osxsave = (c >> 27) & 1;
    if ((c >> 19) & 1) f |= NNQ_CPU_SSE41;
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm = (xcr0 & 0x6) == 0x6;      /* XMM and YMM state enabled */
    bool zmm = (xcr0 & 0xe6) == 0xe6;    /* plus opmask, ZMM_Hi256, Hi16_ZMM */
    if (ymm && ((c >> 12) & 1)) f |= NNQ_CPU_FMA;
    if (ymm && ((c >> 29) & 1)) f |= NNQ_CPU_F16C;
    uint32_t max_leaf = __get_cpuid_max(0, NULL);
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (ymm && ((b >> 5) & 1)) f |= NNQ_CPU_AVX2;
        if (zmm && ((b >> 16) & 1)) f |= NNQ_CPU_AVX512F;
        if (zmm && ((b >> 30) & 1)) f |= NNQ_CPU_AVX512BW;
        if (zmm && ((c >> 11) & 1)) f |= NNQ_CPU_AVX512VNNI;
        __cpuid_count(7, 1, a, b, c, d);
        if (ymm && ((a >> 4) & 1)) f |= NNQ_CPU_AVXVNNI;
    }
    return f;
}
#else
static uint32_t detect(void) { return 0; }
#endif

static atomic_uint g_detected = UINT32_MAX; /* UINT32_MAX: not yet detected */
static atomic_int g_force = -1;             /* -1: read NNQ_FORCE_SCALAR once */

uint32_t nnq_cpu_detected(void) {
    uint32_t f = atomic_load(&g_detected);
    if (f == UINT32_MAX) {
        f = detect();
        atomic_store(&g_detected, f);
    }
    return f;
}

void nnq_cpu_force_scalar(bool force) { atomic_store(&g_force, force ? 1 : 0); }

uint32_t nnq_cpu_features(void) {
#ifdef NNQ_REFERENCE_ONLY
    return 0;
#else
    int force = atomic_load(&g_force);
    if (force < 0) {
        const char *env = getenv("NNQ_FORCE_SCALAR");
        force = (env && *env && strcmp(env, "0") != 0) ? 1 : 0;
        atomic_store(&g_force, force);
    }
    return force ? 0 : nnq_cpu_detected();
#endif
}

const char *nnq_cpu_features_str(uint32_t f, char *buf, size_t bufsize) {
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{NNQ_CPU_SSE41, "sse4.1"},        {NNQ_CPU_AVX2, "avx2"},
                 {NNQ_CPU_FMA, "fma"},             {NNQ_CPU_F16C, "f16c"},
                 {NNQ_CPU_AVX512F, "avx512f"},     {NNQ_CPU_AVX512BW, "avx512bw"},
                 {NNQ_CPU_AVX512VNNI, "avx512vnni"}, {NNQ_CPU_AVXVNNI, "avxvnni"}};
    size_t pos = 0;
    if (!buf || bufsize == 0) return "";
    buf[0] = '\0';
    for (size_t i = 0; i < NNQ_ARRAY_LEN(names); i++) {
        if (!(f & names[i].bit)) continue;
        int n = snprintf(buf + pos, bufsize - pos, "%s%s", pos ? " " : "", names[i].name);
        if (n < 0 || (size_t)n >= bufsize - pos) {
            buf[pos] = '\0'; /* drop a partially written name */
            break;
        }
        pos += (size_t)n;
    }
    if (pos == 0) snprintf(buf, bufsize, "scalar");
    return buf;
}
