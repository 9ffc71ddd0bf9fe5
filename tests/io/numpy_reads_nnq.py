#!/usr/bin/env python3
"""Check that numpy reads the .npy / .npz files nnq writes (CTest io/numpy_reads_nnq).

Usage: numpy_reads_nnq.py WRITER DIR   (WRITER: the io_write_samples program)
Exit code 77 (skipped) when numpy is not installed.
"""
import os
import subprocess
import sys
import zipfile

try:
    import numpy as np
except ImportError:
    print("numpy not installed: skipping")
    sys.exit(77)


def main():
    writer, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    subprocess.run([writer, out], check=True)
    dtypes = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4",
              "uint32": "u4", "int64": "i8", "uint64": "u8", "float16": "f2",
              "float32": "f4", "float64": "f8"}
    for name, code in dtypes.items():
        a = np.load(os.path.join(out, name + ".npy"), allow_pickle=False)
        assert a.dtype == np.dtype(code), (name, a.dtype)
        assert a.tolist() == (np.arange(5) * 3).astype(code).tolist(), (name, a)
    b = np.load(os.path.join(out, "bool.npy"), allow_pickle=False)
    assert b.dtype == np.bool_ and b.tolist() == [False, True, False, True, False]
    x = (np.arange(6, dtype=np.float32) * np.float32(0.25) - np.float32(1)).reshape(2, 3)
    a = np.load(os.path.join(out, "x23.npy"), allow_pickle=False)
    assert a.dtype == np.float32 and a.shape == (2, 3) and (a == x).all()
    for arc in ["stored.npz", "deflated.npz"]:
        path = os.path.join(out, arc)
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None, arc  # every CRC checks
            assert z.namelist() == ["x.npy", "a/b.npy", "../c.npy"], z.namelist()
        with np.load(path, allow_pickle=False) as f:
            assert f.files == ["x", "a/b", "../c"], f.files
            assert (f["x"] == x).all() and f["x"].dtype == np.float32
            assert f["a/b"].tolist() == [0, -1, -2, -3] and f["a/b"].dtype == np.int64
            assert f["../c"].shape == (0,) and f["../c"].dtype == np.uint8
    print("numpy %s reads every file nnq wrote" % np.__version__)


if __name__ == "__main__":
    main()
