"""Run a program written for numtorch as it is and with its imports switched to torch; compare what they print.

Shared by tests/test_examples.py and tests/test_programs.py. `start_many` imports
the library once and forks a child per program (importing torch costs seconds;
a fork costs milliseconds), so each program still starts from a fresh process
state. Run as a script, this file is that forking driver.
"""
import os
import pathlib
import re
import runpy
import subprocess
import sys

import pytest

NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}


def as_torch(source: str) -> str:
    """The same program on torch: numtorch imports renamed, torch held to one thread."""
    source = re.sub(r"\bimport numtorch as torch\b", "import torch", source)
    source = re.sub(r"\bimport numtorch\.", "import torch.", source)
    source = re.sub(r"\bfrom numtorch\b", "from torch", source)
    return "import torch; torch.set_num_threads(1)\n" + source


def _env() -> dict:
    return _ENV | {k: v for k, v in os.environ.items() if k.startswith(("PYTHON", "HOME", "VIRTUAL_ENV"))}


def _clean(stdout: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", stdout)


def run(source: str, tmp_path, name: str) -> str:
    """What `source` prints, run as a script in a fresh interpreter (asserting that it succeeds)."""
    path = tmp_path / name
    path.write_text(source)
    out = subprocess.run([sys.executable, "-W", "ignore", str(path)], capture_output=True, text=True,
                         timeout=300, env=_env())
    assert out.returncode == 0, out.stderr
    return _clean(out.stdout)


def start_many(library: str, paths: list) -> subprocess.Popen:
    """Start the driver: `library` imported once, then each script of `paths` in a forked child."""
    return subprocess.Popen([sys.executable, "-W", "ignore", __file__, library, *map(str, paths)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def finish_many(proc: subprocess.Popen, paths: list) -> dict:
    """{path: (returncode, stdout, stderr)} of a driver started by start_many."""
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    results = {}
    for p in paths:
        p = pathlib.Path(p)
        rc = int(p.with_suffix(".rc").read_text())
        results[p] = (rc, _clean(p.with_suffix(".out").read_text()), p.with_suffix(".err").read_text())
    return results


def assert_same_output(ours: str, theirs: str, rel: float | None = None) -> None:
    """Identical text; with `rel`, identical apart from numbers, which agree to that relative tolerance."""
    if rel is None:
        assert ours == theirs
        return
    assert NUMBER.sub("#", ours) == NUMBER.sub("#", theirs)
    for a, b in zip(NUMBER.findall(ours), NUMBER.findall(theirs)):
        assert float(a) == pytest.approx(float(b), rel=rel)


def _drive(library: str, paths: list) -> None:
    __import__(library)
    if library == "torch":
        sys.modules["torch"].set_num_threads(1)
    for path in paths:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(pathlib.Path(path))
        _, status = os.waitpid(pid, 0)
        pathlib.Path(path).with_suffix(".rc").write_text(str(os.waitstatus_to_exitcode(status)))


def _child(path: pathlib.Path) -> None:
    code = 1
    try:
        for fd, suffix in ((1, ".out"), (2, ".err")):
            os.dup2(os.open(path.with_suffix(suffix), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.argv = [str(path)]
        runpy.run_path(str(path), run_name="__main__")
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    _drive(sys.argv[1], sys.argv[2:])
