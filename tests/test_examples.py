"""The examples are numtorch's promise in miniature: each prints what torch prints.

Every example is run twice in a subprocess: as written (numtorch), and with its
imports switched to torch. The outputs must be identical (object addresses and
torch-only warnings aside); examples whose float32 reductions still differ from
torch's in the last bits are compared number by number to 1e-5 instead.
"""
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
NOT_YET_BIT_EXACT: set = set()   # examples whose float32 output may differ from torch in the last digits
SKIP = {"run_all.py", "my_optimizer.py"} | {f"custom_optimizer_{w}.py" for w in ("subclass", "chain", "contrib")}
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _as_torch(source: str) -> str:
    source = re.sub(r"\bimport numtorch as torch\b", "import torch", source)
    source = re.sub(r"\bimport numtorch\.", "import torch.", source)
    source = re.sub(r"\bfrom numtorch\b", "from torch", source)
    return "import torch; torch.set_num_threads(1)\n" + source


def _run(source: str, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_text(source)
    out = subprocess.run([sys.executable, "-W", "ignore", str(path)], capture_output=True, text=True,
                         timeout=300, env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                                           "PATH": "/usr/bin:/bin"} | _python_env())
    assert out.returncode == 0, out.stderr
    return re.sub(r"0x[0-9a-f]+", "0x?", out.stdout)


def _python_env():
    import os
    return {k: v for k, v in os.environ.items() if k.startswith(("PYTHON", "HOME", "VIRTUAL_ENV"))}


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py") if p.name not in SKIP))
def test_example_prints_what_torch_prints(example, tmp_path):
    source = (EXAMPLES / example).read_text()
    ours = _run(source, tmp_path, "ours_" + example)
    theirs = _run(_as_torch(source), tmp_path, "theirs_" + example)
    if example not in NOT_YET_BIT_EXACT:
        assert ours == theirs
        return
    assert NUMBER.sub("#", ours) == NUMBER.sub("#", theirs)
    for a, b in zip(NUMBER.findall(ours), NUMBER.findall(theirs)):
        assert float(a) == pytest.approx(float(b), rel=1e-5)
