"""Users' feature files that are empty, corrupt, truncated, huge or hold non-finite values (N138-N164)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npformat

from convac.datatensor._files import MAX_DATA_BYTES, load_file
from convac.errors import ConvacError, InputError, TooLargeError


def _header_only(shape, dtype=np.float64, data=b""):
    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape})
    return buf.getvalue() + data


def _empty_npy(d):
    (d / "empty.npy").write_bytes(b"")
    return d / "empty.npy"


def _huge_header_npy(d):
    (d / "huge_header.npy").write_bytes(_header_only((10**12,)))
    return d / "huge_header.npy"


def _truncated_npy(d):
    (d / "short.npy").write_bytes(_header_only((100, 100), data=b"\0" * 10))
    return d / "short.npy"


def _corrupt_npz(d):
    (d / "corrupt.npz").write_bytes(b"this is not a zip archive at all" * 10)
    return d / "corrupt.npz"


def _truncated_npz(d):
    np.savez(d / "whole.npz", X=np.random.default_rng(0).random((50, 8)))
    data = (d / "whole.npz").read_bytes()
    (d / "truncated.npz").write_bytes(data[: len(data) // 2])
    return d / "truncated.npz"


def _bomb_npz(d):
    # 16 GiB of zeros claimed by a header; the compressed member holds a few KiB.
    with zipfile.ZipFile(d / "bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", _header_only((2_048_000_000,), data=b"\0" * 65536))
    return d / "bomb.npz"


def _empty_csv(d):
    (d / "empty.csv").write_text("")
    return d / "empty.csv"


def _blank_csv(d):
    (d / "blank.csv").write_text("\n\n# a comment\n")
    return d / "blank.csv"


def _inf_csv(d):
    (d / "inf.csv").write_text("0.1,0.2\ninf,0.3\n0.5,0.6\n")
    return d / "inf.csv"


def _fifo(d):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(d / "pipe.npy")
    return d / "pipe.npy"


CASES = {
    "N138 empty npy": (_empty_npy, InputError, r"^empty\.npy is empty \(0 bytes\)$"),
    "N139 huge header": (
        _huge_header_npy,
        TooLargeError,
        r"^huge_header\.npy holds a \(1000000000000,\) array, which as float64 would need 7\.28 TiB, over the limit",
    ),
    "truncated npy": (_truncated_npy, InputError, r"^short\.npy is truncated: its header claims 80,000 bytes"),
    "N156 corrupt npz": (_corrupt_npz, InputError, r"^corrupt\.npz is not a valid \.npz file"),
    "N157 truncated npz": (_truncated_npz, InputError, r"^truncated\.npz is not a valid \.npz file"),
    "N158 zip bomb": (_bomb_npz, TooLargeError, r"^bomb\.npz\['X'\] holds a \(2048000000,\) array, which as float64"),
    "N160 empty csv": (_empty_csv, InputError, r"^empty\.csv is empty \(0 bytes\)$"),
    "N160 blank csv": (_blank_csv, InputError, r"^blank\.csv has no data rows"),
    "N164 inf csv": (
        _inf_csv,
        InputError,
        r"^inf\.csv has 1 NaN or infinite values \(the first at index \(1, 0\)\); features must be finite numbers$",
    ),
    "fifo": (_fifo, InputError, r"pipe\.npy is not a regular file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_gives_one_clear_error(case, tmp_path):
    make, error, message = CASES[case]
    path = make(tmp_path)
    with pytest.raises(error, match=message) as info:
        load_file(path, rescale=True)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", list(CASES))
def test_cli_prints_one_line_and_exits_2(case, tmp_path):
    path = CASES[case][0](tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "convac.cli", "data-entanglement", "--no-progress", "--rescale", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert path.name in done.stderr


def test_good_files_still_load(tmp_path):
    X, y = np.random.default_rng(0).random((6, 4)), np.arange(6) % 2
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "xy.npz", X=X, y=y.astype(float))
    np.savetxt(tmp_path / "xy.csv", np.column_stack([y, X]), delimiter=",")
    assert np.array_equal(load_file(tmp_path / "x.npy")[0], X)
    got, labels = load_file(tmp_path / "xy.npz")
    assert np.array_equal(got, X) and labels.dtype == np.int64 and np.array_equal(labels, y)
    got, labels = load_file(tmp_path / "xy.csv", label_column=0)
    assert np.allclose(got, X) and np.array_equal(labels, y)


def test_the_limit_is_counted_as_float64(tmp_path):
    # uint8 data of MAX_DATA_BYTES / 4 bytes is twice the limit once converted.
    np.save(tmp_path / "u8.npy", np.zeros(8, dtype=np.uint8))
    with open(tmp_path / "u8.npy", "r+b") as f:  # rewrite only the header's shape
        f.write(_header_only((MAX_DATA_BYTES // 4,), np.uint8))
    with pytest.raises(TooLargeError, match="as float64 would need 4 GiB, over the limit of 2 GiB"):
        load_file(tmp_path / "u8.npy")


def test_every_file_error_is_a_convac_error(tmp_path):
    for make, _, _ in CASES.values():
        with pytest.raises(ConvacError):
            load_file(make(tmp_path))
