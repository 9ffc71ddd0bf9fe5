#!/usr/bin/env python3
"""Generate the NF4 / NF3 normal-float grids used by src/quant/formats.c.

Construction of QLoRA (Dettmers et al. 2023): 2^(k-1) quantiles of N(0, 1)
on the positive side and 2^(k-1) - 1 on the negative side, taken at
linspace(offset, 0.5, m + 1)[:-1] with offset 0.9677083, plus an exact 0,
then normalised by the maximum.  For k = 4 this must reproduce the published
NF4 table (checked below to 1e-6); k = 3 gives NF3.

Run: python3 tools/golden_quant_nf.py   (needs numpy only)
"""
import math

import numpy as np

OFFSET = 0.9677083
NF4_PUBLISHED = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982251167297, 0.5626170039176941, 0.7229568362236023, 1.0]


def ppf(p):
    # Inverse normal CDF by bisection on erf (no scipy needed).
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def grid(bits):
    npos = 2 ** (bits - 1)
    pos = [ppf(p) for p in np.linspace(OFFSET, 0.5, npos + 1, dtype=np.float32)[:-1]]
    neg = [-ppf(p) for p in np.linspace(OFFSET, 0.5, npos, dtype=np.float32)[:-1]]
    v = np.array(sorted(pos + [0.0] + neg), dtype=np.float32)
    return v / v.max()


nf4 = grid(4)
assert np.max(np.abs(nf4 - np.array(NF4_PUBLISHED, dtype=np.float32))) < 1e-6, nf4
print("NF4 ok:", ", ".join("%.10g" % x for x in nf4))
print("NF3:", ", ".join("%.10gf" % x for x in grid(3)))
