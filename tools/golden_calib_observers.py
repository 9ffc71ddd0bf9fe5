#!/usr/bin/env python3
"""Golden torch.ao.quantization observer values for tests/calib/test_calib.c
(test_observer_golden).  Run once with Debian's python (torch 1.13):

    /usr/bin/python3 tools/golden_calib_observers.py

Batches are those of tools/golden_calib.py (x_i = (((i * mul + add) % 1000)
- 500) / 100 * scale + offset in fp32), fed in order to MinMaxObserver,
MovingAverageMinMaxObserver (averaging_constant 0.01) and
PerChannelMinMaxObserver (ch_axis 0 of batch 3 viewed [12, 100]); each
observer's min / max and calculate_qparams() are printed as C initializers
(floats as hex, exact).  Only torch's public classes are called.
"""
import numpy as np
import torch
from torch.ao.quantization import (MinMaxObserver, MovingAverageMinMaxObserver,
                                   PerChannelMinMaxObserver)

BATCHES = [(1000, 7919, 1, 1.0, 0.0), (1500, 104729, 3, 1.5, 0.0), (800, 31, 7, 0.5, 0.0),
           (1200, 613, 11, 1.75, 0.25)]
# (dtype, qscheme, reduce_range): torch allows reduce_range with both dtypes.
CASES = [(torch.quint8, "affine", False), (torch.qint8, "affine", False),
         (torch.quint8, "symmetric", False), (torch.qint8, "symmetric", False),
         (torch.quint8, "affine", True), (torch.qint8, "symmetric", True)]


def batch(n, mul, add, scale, offset):
    i = np.arange(n, dtype=np.int64)
    k = ((i * mul + add) % 1000 - 500).astype(np.float32)
    return (k / np.float32(100) * np.float32(scale) + np.float32(offset)).astype(np.float32)


def hexf(v):
    return float(v).hex() + "f"


def main():
    xs = [torch.from_numpy(batch(*b)) for b in BATCHES]
    print("/* kind, is_signed, symmetric, reduce_range, batches, min, max, scale, zero_point */")
    for kind, cls, kw in (("MINMAX", MinMaxObserver, {}),
                          ("MOVING_AVERAGE_MINMAX", MovingAverageMinMaxObserver,
                           {"averaging_constant": 0.01})):
        for nb in (1, 4):
            for dtype, qs, rr in CASES:
                scheme = torch.per_tensor_affine if qs == "affine" else torch.per_tensor_symmetric
                ob = cls(dtype=dtype, qscheme=scheme, reduce_range=rr, **kw)
                for x in xs[:nb]:
                    ob(x)
                s, z = ob.calculate_qparams()
                print(f"{{NNQ_CALIB_KIND_{kind}, {str(dtype == torch.qint8).lower()}, "
                      f"{str(qs == 'symmetric').lower()}, {str(rr).lower()}, {nb}, "
                      f"{hexf(ob.min_val)}, {hexf(ob.max_val)}, {hexf(s)}, {int(z)}}},")
    print("/* per-channel (ch_axis 0, batch 3 viewed [12, 100]): symmetric qint8, affine quint8 */")
    for dtype, scheme in ((torch.qint8, torch.per_channel_symmetric),
                          (torch.quint8, torch.per_channel_affine)):
        ob = PerChannelMinMaxObserver(ch_axis=0, dtype=dtype, qscheme=scheme)
        ob(xs[3].reshape(12, 100))
        s, z = ob.calculate_qparams()
        print("min", ", ".join(hexf(v) for v in ob.min_val))
        print("max", ", ".join(hexf(v) for v in ob.max_val))
        print("scale", ", ".join(hexf(v) for v in s))
        print("zp", ", ".join(str(int(v)) for v in z))


if __name__ == "__main__":
    main()
