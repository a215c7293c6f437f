"""convac.fx.load_module_object: a module named on the command line, without touching sys.path (N047, N075)."""

import os
import sys
import textwrap

import pytest
from torch import nn

from convac import ConvacTypeError, InputError
from convac.fx import load_module_object

_NETS = """
import dataclasses
from torch import nn

@dataclasses.dataclass
class Config:
    width: int = 3

class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, Config().width, 1)

    def forward(self, x):
        return self.conv(x)

def tiny():
    return Tiny()

def needs_an_argument(width):
    return Tiny()

def not_a_module():
    return 42

instance = Tiny()
number = 7
"""


@pytest.fixture
def nets_file(tmp_path, monkeypatch):
    path = tmp_path / "convac_test_nets_file.py"
    path.write_text(_NETS)
    monkeypatch.delitem(sys.modules, "convac_test_nets_file", raising=False)
    return path


@pytest.mark.parametrize("attr", ["tiny", "Tiny", "instance"])
def test_a_file_by_its_path_gives_the_module_and_leaves_sys_path_alone(nets_file, attr):
    before = list(sys.path)
    net = load_module_object(f"{nets_file}:{attr}")
    assert isinstance(net, nn.Module) and type(net).__name__ == "Tiny" and net.conv.out_channels == 3
    assert sys.path == before


def test_a_module_name_is_found_on_the_current_sys_path_only(tmp_path, monkeypatch):
    (tmp_path / "convac_test_nets_mod.py").write_text(_NETS)
    monkeypatch.delitem(sys.modules, "convac_test_nets_mod", raising=False)
    monkeypatch.chdir(tmp_path)  # the working directory is not searched: the caller puts it on sys.path
    with pytest.raises(InputError, match=r"cannot import 'convac_test_nets_mod' .*no such module on the Python path"):
        load_module_object("convac_test_nets_mod:tiny")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert type(load_module_object("convac_test_nets_mod:tiny")).__name__ == "Tiny"


def test_an_installed_class_is_called_with_no_arguments():
    assert isinstance(load_module_object("torch.nn:ReLU"), nn.ReLU)
    assert isinstance(load_module_object(" torch.nn : Identity "), nn.Identity)


@pytest.mark.parametrize(
    ("attr", "match"),
    [
        ("nope", r"has no attribute 'nope'"),
        ("Config.nope", r"has no attribute 'Config.nope'"),
        ("number", r"is a int, not a torch.nn.Module or a factory returning one"),
        ("needs_an_argument", r"calling .* with no arguments failed: TypeError: .*width"),
        ("not_a_module", r"returned a int, not a torch.nn.Module"),
        ("Config", r"returned a Config, not a torch.nn.Module"),
    ],
)
def test_what_the_attribute_is_not(nets_file, attr, match):
    with pytest.raises(InputError, match=match) as info:
        load_module_object(f"{nets_file}:{attr}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("torch.nn", InputError, r"a module is named MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE"),
        (":net", InputError, "a module is named"),
        ("torch.nn:", InputError, "a module is named"),
        (42, ConvacTypeError, "a module is named by a string"),
        ("no_such_pkg_for_convac.nets:lenet", InputError, r"cannot import 'no_such_pkg_for_convac.nets'"),
        ("no/such/file.py:net", InputError, r"cannot read 'no/such/file.py' .*No such file"),
    ],
)
def test_malformed_and_missing_names(text, error, match):
    with pytest.raises(error, match=match):
        load_module_object(text)


def test_a_folder_or_a_fifo_is_not_a_python_file(tmp_path):
    with pytest.raises(InputError, match="is not a regular file; name a Python file"):
        load_module_object(f"{tmp_path}:net")
    fifo = tmp_path / "nets.py"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is not a regular file"):  # refused before opening: no hang
        load_module_object(f"{fifo}:net")


def _module(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize("code", [0, 3, None])
def test_n047_sys_exit_at_import_is_one_clear_error(tmp_path, code):
    path = _module(tmp_path, "exits_on_import", f"import sys\nsys.exit({code!r})\nx = 1\n")
    with pytest.raises(InputError, match=rf"importing .*exits_on_import.py.* called sys.exit\({code!r}\)") as info:
        load_module_object(f"{path}:x")
    assert "\n" not in str(info.value)
    assert "exits_on_import" not in sys.modules  # a failed import leaves nothing behind


def test_an_import_that_raises_is_one_line(tmp_path, monkeypatch):
    _module(tmp_path, "convac_test_raises", "import no_such_dependency_for_convac\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InputError, match=r"importing 'convac_test_raises' .* failed: ModuleNotFoundError: No module"):
        load_module_object("convac_test_raises:net")


def test_n075_prints_at_import_go_to_stderr(tmp_path, capsys):
    path = _module(
        tmp_path,
        "prints_on_import",
        """
        from torch import nn
        print("loading my networks")

        def net():
            print("building")
            return nn.Identity()
        """,
    )
    stdout = sys.stdout
    assert isinstance(load_module_object(f"{path}:net"), nn.Identity)
    assert sys.stdout is stdout  # restored
    captured = capsys.readouterr()
    assert captured.out == ""  # --json output stays parseable
    assert "loading my networks" in captured.err and "building" in captured.err
