#!/usr/bin/python3
"""Train nnq's bundled demo model (a small Fashion-MNIST CNN) and export it to ONNX.

Training runs with Debian's /usr/bin/python3 (torch 1.13 CPU, onnx 1.12, numpy);
it does not need torchvision: the IDX files are read directly.

    nice -n 10 /usr/bin/python3 tools/train_fmnist.py \
        --data /usr/share/datasets/fashion-mnist --out examples/fmnist_cnn.onnx

The exported file is then checked independently of torch with onnxruntime
(the default python3 has onnxruntime + numpy, no torch):

    python3 tools/train_fmnist.py --eval-onnx examples/fmnist_cnn.onnx

Everything is seeded and single-process so two runs on the same torch build give
the same weights. The recipe card examples/fmnist_cnn.md records the command,
the accuracy and the sha256 of the committed file.
"""
import argparse
import gzip
import hashlib
import os
import struct
import sys
import time

import numpy as np

try:  # absent under the default python3, which only runs --eval-onnx
    import onnx
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    torch = None

# Fashion-MNIST training-set statistics of x/255; nnq's data loader must apply
# exactly this transform for the accuracy in the recipe card to reproduce.
MEAN = 0.2860
STD = 0.3530
ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten",
               "Reshape", "Gemm", "MatMul", "Add"}


def read_idx(path):
    """Return an IDX file (gzip-compressed) as a numpy array of its declared shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {arr.size} bytes of data, header says {dims}")
    return arr.reshape(dims)


def load_split_np(root, split):
    """Images as normalized float32 [n, 1, 28, 28] and labels as int64 [n]."""
    images = read_idx(os.path.join(root, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte.gz"))
    x = images.astype(np.float32)[:, None, :, :] / np.float32(255.0)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x, labels.astype(np.int64)


def load_split(root, split):
    x, y = load_split_np(root, split)
    return torch.from_numpy(x), torch.from_numpy(y)


def eval_onnx(path, root, batch=1000):
    """Top-1 accuracy of an exported model on the test split, with onnxruntime."""
    import onnxruntime as ort
    x, y = load_split_np(root, "t10k")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    correct = 0
    for i in range(0, x.shape[0], batch):
        logits = sess.run(["logits"], {"input": x[i:i + batch]})[0]
        correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"onnxruntime {ort.__version__} float top-1 on {x.shape[0]} test images: "
          f"{correct / x.shape[0] * 100:.2f}% ({path}, sha256 {digest})")
    return 0


class FmnistCnn(nn.Module if torch else object):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / x.shape[0]


def train(model, x, y, epochs, batch, lr, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((x.shape[0] + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        t0, total = time.time(), 0.0
        for i in range(0, x.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.numel()
        print(f"epoch {epoch + 1}/{epochs}: loss {total / x.shape[0]:.4f} "
              f"({time.time() - t0:.0f} s)", flush=True)


def export(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    # TrainingMode.EVAL would run torch's eval peephole, which folds each
    # BatchNorm into its Conv; PRESERVE on a model in eval mode exports
    # inference-mode BatchNormalization nodes instead, because nnq's own
    # BN-folding pass is what should fold them.
    torch.onnx.export(model, dummy, path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    bad = sorted(set(ops) - ALLOWED_OPS)
    if bad:
        raise SystemExit(f"exported graph uses ops outside the allowed set: {bad}")
    if "BatchNormalization" not in ops:
        raise SystemExit("BatchNormalization was folded away by the exporter")
    print("ops:", " ".join(ops))
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default="examples/fmnist_cnn.onnx")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--eval-onnx", metavar="MODEL",
                    help="only report the onnxruntime accuracy of MODEL")
    args = ap.parse_args()
    if args.eval_onnx:
        return eval_onnx(args.eval_onnx, args.data)
    if torch is None:
        raise SystemExit("training needs torch and onnx: run with /usr/bin/python3")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)

    xtr, ytr = load_split(args.data, "train")
    xte, yte = load_split(args.data, "t10k")
    print(f"train {tuple(xtr.shape)}, test {tuple(xte.shape)}; "
          f"train mean/std after normalization {xtr.mean():.4f}/{xtr.std():.4f}")

    model = FmnistCnn()
    train(model, xtr, ytr, args.epochs, args.batch, args.lr, args.seed)
    acc = accuracy(model, xte, yte)
    print(f"torch float top-1 on {xte.shape[0]} test images: {acc * 100:.2f}%")

    export(model, args.out)
    with open(args.out, "rb") as f:
        blob = f.read()
    print(f"wrote {args.out}: {len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
