"""Ordinary PyTorch training programs (tests/programs/) print under numtorch what they print under torch.

Each program is written as a user writes it for torch, with `import numtorch as
torch`; it runs as written and with its imports switched to torch. Every
library is imported once and each program runs in a forked child of that
process, so the whole set costs one torch import.
"""
import pathlib

import pytest

from tests._run_both import as_torch, assert_same_output, finish_many, start_many

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
NAMES = sorted(p.name for p in PROGRAMS.glob("*.py"))
NOT_BIT_EXACT: dict = {}   # program -> relative tolerance, where float32 BLAS may differ from torch's in the last bits


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{name: (ours, theirs)}: each (returncode, stdout, stderr), both libraries running side by side."""
    ours_dir, theirs_dir = tmp_path_factory.mktemp("ours"), tmp_path_factory.mktemp("theirs")
    ours, theirs = [], []
    for name in NAMES:
        source = (PROGRAMS / name).read_text()
        ours.append(ours_dir / name)
        ours[-1].write_text(source)
        theirs.append(theirs_dir / name)
        theirs[-1].write_text(as_torch(source))
    procs = start_many("numtorch", ours), start_many("torch", theirs)
    ours_res, theirs_res = finish_many(procs[0], ours), finish_many(procs[1], theirs)
    return {p.name: (ours_res[p], theirs_res[t]) for p, t in zip(ours, theirs)}


@pytest.mark.parametrize("name", NAMES)
def test_program_prints_what_torch_prints(name, outputs):
    (rc, ours, err), (trc, theirs, terr) = outputs[name]
    assert trc == 0, terr
    assert rc == 0, err
    assert ours.strip(), "the program printed nothing"
    assert_same_output(ours, theirs, rel=NOT_BIT_EXACT.get(name))
