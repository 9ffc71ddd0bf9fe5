#!/usr/bin/env python3
"""Coefficients of nnq's float32 erf (src/exec/elem/vmath.c).

    python3 tools/fit_erf.py

Default python3 with numpy.  Prints C initializers:
  - ERF_SMALL: x * P(x^2) for |x| < ERF_SPLIT (0.75), the Taylor series of erf
    (2/sqrt(pi) * (-1)^n / (n! (2n + 1))), n = 0 .. 10 (truncation < 1e-11);
  - ERF_TAIL: g(x) = erfc(x) * exp(x^2) on [ERF_SPLIT, ERF_ONE) as a degree-12
    polynomial in v = A / x + B (v spans [-1, 1]), a least-squares fit in
    Chebyshev form on 4000 Chebyshev nodes against Python's math.erfc,
    converted to monomials; its error times exp(-x^2) is < 3e-10.
ERF_ONE = 3.92: above it erfc(x) < 2^-25, so erf rounds to 1 in float32.
"""
import math

import numpy as np

ONE = 3.92
SPLIT = 0.75


def f32(v):
    return float(np.float32(v))


def main():
    small = [2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
             for n in range(11)]
    lo, hi, N = SPLIT, ONE, 4000
    k = np.arange(N)
    xs = 0.5 * (lo + hi) + 0.5 * (hi - lo) * np.cos(np.pi * (k + 0.5) / N)
    g = np.array([math.erfc(x) * math.exp(x * x) for x in xs])
    # v = a / x + b maps x in [lo, hi] onto [-1, 1]
    a = 2 / (1 / lo - 1 / hi)
    b = -2 / hi / (1 / lo - 1 / hi) - 1
    c = np.polynomial.chebyshev.chebfit(a / xs + b, g, 12)
    mono = np.polynomial.chebyshev.cheb2poly(c)
    err = np.max(np.abs(np.polynomial.polynomial.polyval(a / xs + b, mono) - g) * np.exp(-xs * xs))
    print(f"/* tools/fit_erf.py: tail fit error in erf {err:.2e} */")
    print(f"#define ERF_ONE {f32(ONE):.9g}f")
    print(f"#define ERF_SPLIT {f32(SPLIT):.9g}f")
    print(f"#define ERF_A {f32(a):.9g}f")
    print(f"#define ERF_B {f32(b):.9g}f")
    print(f"#define ERF_C0_LO {f32(small[0] - f32(small[0])):.9g}f")
    print("static const float ERF_SMALL[11] = {" +
          ", ".join(f"{f32(v):.9g}f" for v in small) + "};")
    print("static const float ERF_TAIL[13] = {" +
          ", ".join(f"{f32(v):.9g}f" for v in mono) + "};")


if __name__ == "__main__":
    main()
