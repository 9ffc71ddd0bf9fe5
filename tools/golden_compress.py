#!/usr/bin/env python3
"""Golden vectors for tests/compress/test_compress_kmeans.c.

Run once with the default python3 (numpy + scikit-learn from PyPI):
    python3 tools/golden_compress.py > /tmp/golden.h
and paste the arrays into the test.  scikit-learn's KMeans is the reference:
  * "lloyd" golden: KMeans(n_clusters=4, init=<fixed centroids>, n_init=1,
    max_iter=300, tol=0, algorithm="lloyd") on float64 copies of the float32
    data, with and without sample_weight.  Seeded with the same centroids,
    nnq's Lloyd must reach the same fixed point.
  * "kmeans++" golden: sklearn's inertia_ with its own k-means++ (n_init=10,
    random_state=0); nnq's k-means++ result must be within a stated factor.
"""
import numpy as np
from sklearn.cluster import KMeans


def c_float(v):
    s = "%.9g" % v
    return s + (".0f" if ("." not in s and "e" not in s) else "f")


def c_floats(name, a):
    vals = [c_float(v) for v in a]
    rows = [", ".join(vals[i:i + 6]) for i in range(0, len(vals), 6)]
    return "static const float %s[%d] = {\n    %s};" % (name, len(a), ",\n    ".join(rows))


def main():
    rng = np.random.default_rng(20261123)
    # Three blobs of different spread and size, float32 like a weight.
    x = np.concatenate([rng.normal(-1.5, 0.3, 90), rng.normal(0.2, 0.15, 100),
                        rng.normal(1.8, 0.4, 50)]).astype(np.float32)
    rng.shuffle(x)
    w = rng.uniform(0.1, 2.0, x.size).astype(np.float32)
    init = np.array([-2.0, -0.5, 0.5, 2.0])
    print(c_floats("golden_x", x))
    print(c_floats("golden_w", w))
    print(c_floats("golden_init", init))
    X = x.astype(np.float64).reshape(-1, 1)
    for tag, sw in (("plain", None), ("weighted", w.astype(np.float64))):
        km = KMeans(n_clusters=4, init=init.reshape(-1, 1), n_init=1, max_iter=300, tol=0.0,
                    algorithm="lloyd").fit(X, sample_weight=sw)
        print(c_floats("golden_%s_centers" % tag, np.sort(km.cluster_centers_.ravel())))
        print("/* %s: n_iter %d, inertia %.9g */" % (tag, km.n_iter_, km.inertia_))
    km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(X)
    print("static const double golden_pp_inertia = %.9g; /* sklearn k-means++ n_init=10 */"
          % km.inertia_)


if __name__ == "__main__":
    main()
