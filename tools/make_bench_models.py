#!/usr/bin/python3
"""Write the executor benchmark models (ONNX) and their inputs.

    /usr/bin/python3 tools/make_bench_models.py OUTDIR

Needs Debian's python3-torch and python3-onnx (/usr/bin/python3).  Writes,
for batch sizes 1 and 8 (fixed shapes, so every shape is static):
  cnn_b{1,8}.onnx          small ResNet-style CNN, input [B, 3, 96, 96], opset 13
  transformer_b{1,8}.onnx  one pre-LN transformer encoder block, input
                           [B, 64, 256] (4 heads, FFN 1024, GELU), opset 17
  <model>.npy              a seeded N(0, 1) input for each model
Weights are seeded (torch.manual_seed(0)), so the files are reproducible.
"""
import math
import os
import sys

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        return torch.relu(x + self.b2(self.c2(y)))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                                  nn.Conv2d(32, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.blocks = nn.Sequential(Block(64), Block(64))
        self.down = nn.Sequential(nn.Conv2d(64, 128, 3, 2, 1), nn.BatchNorm2d(128), nn.ReLU())
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        x = self.down(self.blocks(self.stem(x)))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.head(x), dim=1)


class EncoderBlock(nn.Module):
    def __init__(self, d=256, heads=4, ffn=1024):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q = q.reshape(b, t, self.h, self.dh).transpose(1, 2)
        k = k.reshape(b, t, self.h, self.dh).transpose(1, 2)
        v = v.reshape(b, t, self.h, self.dh).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh), dim=-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


def export(model, shape, path, opset):
    torch.manual_seed(1)
    x = torch.randn(*shape)
    torch.onnx.export(model, x, path, input_names=["x"], output_names=["y"],
                      opset_version=opset, do_constant_folding=True)
    np.save(path[:-5] + ".npy", x.numpy())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    cnn = SmallCNN().eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for m in cnn.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    tr = EncoderBlock().eval()
    for b in (1, 8):
        export(cnn, (b, 3, 96, 96), os.path.join(out, f"cnn_b{b}.onnx"), 13)
        export(tr, (b, 64, 256), os.path.join(out, f"transformer_b{b}.onnx"), 17)


if __name__ == "__main__":
    main()
