#!/usr/bin/env python3
"""Generate the .npy / .npz fixtures used by tests/io (run once, files committed).

    cd tests/data/io && python3 make_fixtures.py     # numpy 2.4.6, pyenv python 3.11

Values are simple closed forms so the C tests can state them by hand.
"""
import io
import struct
import zipfile

import numpy as np


def save(name, arr, **kw):
    np.save(name, arr, **kw)


def main():
    ints = [0, 1, 2, 100]
    for code in ["i1", "i2", "i4", "i8"]:
        info = np.iinfo(code)
        save(f"dt_{code}.npy", np.array(ints + [-1, info.max, info.min], dtype="<" + code))
    for code in ["u1", "u2", "u4", "u8"]:
        info = np.iinfo(code)
        save(f"dt_{code}.npy", np.array(ints + [info.max], dtype="<" + code))
    for code in ["f2", "f4", "f8"]:
        save(f"dt_{code}.npy", np.array([0.0, -1.5, 0.25, np.inf, 65504.0], dtype="<" + code))
    save("dt_b1.npy", np.array([True, False, True]))
    save("f4_2x3.npy", (np.arange(6, dtype="<f4") / 4).reshape(2, 3))
    save("scalar_f4.npy", np.float32(3.5))
    save("empty_f4_0x3.npy", np.zeros((0, 3), dtype="<f4"))
    save("be_f8.npy", np.array([1.5, -2.25, 1e300], dtype=">f8"))
    save("be_i4.npy", np.array([1, -2, 0x01020304], dtype=">i4"))
    save("fortran_i2_2x3x4.npy", np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4)))
    for v in [(2, 0), (3, 0)]:
        with open(f"v{v[0]}_u1_5.npy", "wb") as f:
            np.lib.format.write_array(f, np.arange(5, dtype="u1") * 3, version=v)
    save("object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    save("structured.npy", np.zeros(2, dtype=[("a", "<i4")]))
    save("complex.npy", np.zeros(2, dtype="<c8"))

    x = (np.arange(6, dtype="<f4") / 4).reshape(2, 3)
    y = np.array([10, 20], dtype="<i8")
    np.savez("stored.npz", x=x, y=y)
    np.savez_compressed("deflated.npz", x=x, y=y, zeros=np.zeros(100000, dtype="u1"))
    np.savez("paths.npz", **{"a/b": np.array([1], "<i4"), "../c": np.array([2], "<i4")})
    zip64_eocd("stored.npz", "zip64.npz")


def zip64_eocd(src, dst):
    """Rewrite an archive's end records as ZIP64 (what zipfile writes for
    archives over 65535 members or 4 GiB): saturated classic EOCD, a ZIP64
    EOCD record and its locator."""
    data = open(src, "rb").read()
    at = data.rindex(b"PK\x05\x06")
    _, d0, d1, n0, n, cd_size, cd_off, clen = struct.unpack("<IHHHHIIH", data[at:at + 22])
    body = data[:at]
    rec64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, cd_off)
    loc = struct.pack("<IIQI", 0x07064B50, 0, len(body), 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    open(dst, "wb").write(body + rec64 + loc + eocd)
    with zipfile.ZipFile(dst) as z:  # zipfile itself must accept it
        assert sorted(z.namelist()) == ["x.npy", "y.npy"]
    assert np.load(dst)["y"].tolist() == [10, 20]


if __name__ == "__main__":
    main()
