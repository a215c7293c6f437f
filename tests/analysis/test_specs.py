"""Architecture files (``--arch``): C16 (binary bytes) and C21 (a FIFO) end in one clear line."""

import os
import time

import pytest

from convac import Architecture, ArchitectureError, InputError
from convac.analysis import load_architecture


def test_random_binary_bytes_are_one_input_error(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(bytes([0x80, 0xC0, 0xFF, 0x00, 0xFE]) * 50)
    with pytest.raises(InputError, match=r"random\.bin' is not UTF-8 text; give a YAML or JSON file") as info:
        load_architecture(path)
    assert "\n" not in str(info.value)


def test_a_fifo_nobody_writes_is_refused_before_opening(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"fifo\.yaml' is not a regular file; give a YAML or JSON file"):
        load_architecture(fifo)
    assert time.perf_counter() - start < 5  # opening it would block forever


def test_a_folder_is_not_an_architecture_file(tmp_path):
    with pytest.raises(InputError, match="is not a regular file"):
        load_architecture(tmp_path)


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(ArchitectureError, match=r"cannot read architecture file .*nope\.yaml'"):
        load_architecture(tmp_path / "nope.yaml")


def test_a_valid_yaml_file_round_trips(tmp_path):
    import yaml

    arch = Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 2])
    path = tmp_path / "arch.yaml"
    path.write_text(yaml.safe_dump(arch.to_dict()))
    assert load_architecture(path) == [arch]
