#!/usr/bin/env python3
"""Golden values for tests/calib/test_calib.c from the reference implementations.

Run once (the output is pasted into the test, whose comments cite this script):

    pip download --no-deps pytorch-quantization==2.1.3   # wheel, unpacked to $PQ
    pip install --target $DEPS absl-py "scipy<1.12"       # numpy: Debian's 1.24
    PYTHONPATH=$PQ:$DEPS /usr/bin/python3 tools/golden_calib.py

Uses pytorch_quantization.calib.HistogramCalibrator / MaxCalibrator (torch_hist
path, torch 1.13 CPU) and torch.ao.quantization observers.  Only the
reference's public classes are called; nothing of it is copied.
"""
import numpy as np
import torch

torch.Tensor.cuda = lambda self, *a, **k: self  # _compute_amax_mse calls .cuda()
from pytorch_quantization.calib.histogram import HistogramCalibrator  # noqa: E402
from pytorch_quantization.calib.max import MaxCalibrator  # noqa: E402
from torch.ao.quantization import (MinMaxObserver, MovingAverageMinMaxObserver,  # noqa: E402
                                   PerChannelMinMaxObserver)

f32 = np.float32


def batch(n, mul, add, scale, offset):
    """x_i = (((i * mul + add) % 1000) - 500) / 100 * scale + offset, in fp32 (test_calib.c)."""
    i = np.arange(n, dtype=np.int64)
    k = ((i * mul + add) % 1000 - 500).astype(np.float32)
    return (k / f32(100) * f32(scale) + f32(offset)).astype(np.float32)


BATCHES = [(1000, 7919, 1, 1.0, 0.0), (1500, 104729, 3, 1.5, 0.0), (800, 31, 7, 0.5, 0.0),
           (1200, 613, 11, 1.75, 0.25)]


def hexf(v):
    return float(v).hex() + "f"


def main():
    xs = [torch.from_numpy(batch(*b)) for b in BATCHES]
    for unsigned, bits in ((False, 8), (False, 4)):
        cal = HistogramCalibrator(bits, None, unsigned)
        for k, x in enumerate(xs):
            cal.collect(x)
            h = cal._calib_hist
            print(f"/* histogram after batch {k}: nbins {h.numel()} edges {cal._calib_bin_edges.numel()}"
                  f" total {int(h.sum())} last_edge {hexf(cal._calib_bin_edges[-1])} */")
            if k not in (0, 3):
                continue
            if bits == 8:
                print(f"  entropy {hexf(cal.compute_amax('entropy'))} mse {hexf(cal.compute_amax('mse'))}"
                      f" p99.9 {hexf(cal.compute_amax('percentile', percentile=99.9))}"
                      f" p99.99 {hexf(cal.compute_amax('percentile', percentile=99.99))}"
                      f" entropy_s4_b256 {hexf(cal.compute_amax('entropy', stride=4, start_bin=256))}")
            else:
                print(f"  bits4 entropy {hexf(cal.compute_amax('entropy'))} mse {hexf(cal.compute_amax('mse'))}")
        nz = np.nonzero(cal._calib_hist.numpy())[0]
        print("  first nonzero bins", nz[:6], cal._calib_hist.numpy()[nz[:6]])
    # skip_zeros with exact zeros in the data.
    cal = HistogramCalibrator(8, None, False, skip_zeros=True)
    cal.collect(xs[0])
    print(f"/* skip_zeros: total {int(cal._calib_hist.sum())} entropy {hexf(cal.compute_amax('entropy'))} */")
    # Max calibrator per-axis 0 on the first batch viewed [10, 100].
    m = MaxCalibrator(8, 0, False, track_amax=True)
    m.collect(xs[0].reshape(10, 100))
    m.collect(xs[2].reshape(10, 80))
    print("/* max axis 0:", [hexf(v) for v in m.compute_amax().flatten()], "*/")
    # torch.ao observers on batches 0..3 (per tensor).
    for cls, kw in ((MinMaxObserver, {}), (MovingAverageMinMaxObserver, {})):
        for dtype, qs, rr in ((torch.quint8, torch.per_tensor_affine, False),
                              (torch.qint8, torch.per_tensor_symmetric, False),
                              (torch.quint8, torch.per_tensor_symmetric, False),
                              (torch.qint8, torch.per_tensor_affine, True)):
            ob = cls(dtype=dtype, qscheme=qs, reduce_range=rr, **kw)
            for x in xs:
                ob(x)
            s, z = ob.calculate_qparams()
            print(f"/* {cls.__name__} {dtype} {qs} rr={rr}: min {hexf(ob.min_val)} max {hexf(ob.max_val)}"
                  f" scale {hexf(s)} zp {int(z)} */")
    ob = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
    ob(xs[3].reshape(12, 100))
    s, z = ob.calculate_qparams()
    print("/* per-channel symmetric qint8 scale", [hexf(v) for v in s[:4]], "*/")


if __name__ == "__main__":
    main()
