#!/usr/bin/python3
"""PyTorch baseline for bench/bench_quant.c: the same 64 MiB fp32 tensor
([4096 rows of 4096], per-channel along axis 0), timed with
torch.fake_quantize_per_channel_affine / _per_tensor_affine, single-threaded
and on all threads, next to a tensor copy of the same buffer (copy_), so the
ratio column compares like with bench_quant's "/memcpy".

Run: /usr/bin/python3 bench/bench_quant_torch.py [MiB] [reps]   (torch 1.13, CPU)
"""
import sys
import time

import torch

mib = int(sys.argv[1]) if len(sys.argv) > 1 else 64
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = mib * 1024 * 1024 // 4
rows = n // 4096
torch.manual_seed(42)
x = torch.randn(rows, 4096)
out = torch.empty_like(x)
amax_c = x.abs().amax(dim=1)
scale_c = amax_c / 127.0
zp_c = torch.zeros(rows, dtype=torch.int32)
scale_t = float(x.abs().max()) / 127.0


def best(fn):
    fn()
    t = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


items = [
    ("copy_ (memcpy)", lambda: out.copy_(x)),
    ("fake_quant per-channel", lambda: torch.fake_quantize_per_channel_affine(
        x, scale_c, zp_c, 0, -127, 127)),
    ("fake_quant per-tensor", lambda: torch.fake_quantize_per_tensor_affine(
        x, scale_t, 0, -127, 127)),
    ("quantize_per_tensor qint8", lambda: torch.quantize_per_tensor(x, scale_t, 0, torch.qint8)),
]
nbytes = n * 4
all_threads = torch.get_num_threads()
print("bench_quant_torch: torch %s, %d MiB fp32, best of %d, threads 1 / %d"
      % (torch.__version__, mib, reps, all_threads))
print("%-28s %10s %8s %10s %8s" % ("kernel", "1T GB/s", "/copy", "allT GB/s", "/copy"))
base = {}
for name, fn in items:
    res = []
    for th in (1, all_threads):
        torch.set_num_threads(th)
        res.append(nbytes / best(fn) / 1e9)
    if not base:
        base = res
    print("%-28s %10.2f %7.0f%% %10.2f %7.0f%%" % (name, res[0], 100 * res[0] / base[0], res[1],
                                                  100 * res[1] / base[1]))
