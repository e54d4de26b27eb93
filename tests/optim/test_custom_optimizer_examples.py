"""The custom-optimizer examples, and docs/custom_optimizer.md showing exactly what they do.

- Each examples/custom_optimizer_*.py exits 0, reports no failed check_optimizer
  property, and the three print the same trajectory.
- The page's code blocks are checked, so that it stays true: a ```python block
  is either an excerpt of an example (its lines appear there in order) or runs
  (all such blocks in one process, in page order); a ```sh block's commands run;
  a ```diff block applied to examples/custom_optimizer_subclass.py gives a class
  that check_optimizer runs on. The ```text block that follows a block is what
  it prints ("..." lines stand for any lines); for a diff, the check_optimizer
  report with its passing rows elided.
"""
from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PAGE = ROOT / "docs" / "custom_optimizer.md"
NAMES = ("subclass", "chain", "contrib")
CHECK_OPTIONS = dict(lr=0.05, momentum=0.9, weight_decay=0.1)  # what the examples check themselves with
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
TRAJECTORY = re.compile(r"^(epoch |final ).*$", re.M)
REPORT_HEAD = re.compile(r"^check_optimizer\(.*\): (\d+) passed, (\d+) failed, (\d+) skipped$", re.M)


def run_python(args, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-W", "ignore", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


@pytest.fixture(scope="module")
def outputs() -> dict:
    """Each example's stdout (it must exit 0)."""
    out = {}
    for name in NAMES:
        proc = run_python([str(EXAMPLES / f"custom_optimizer_{name}.py")])
        assert proc.returncode == 0, f"custom_optimizer_{name}.py failed:\n{proc.stdout}\n{proc.stderr}"
        out[name] = proc.stdout
    return out


@pytest.mark.parametrize("name", NAMES)
def test_example_checks_itself_and_every_property_holds(outputs, name):
    heads = REPORT_HEAD.findall(outputs[name])
    assert len(heads) == 1, outputs[name]
    passed, failed, skipped = map(int, heads[0])
    assert failed == 0 and passed >= 17, outputs[name]
    assert (name == "subclass") == (skipped == 1)  # the other two check against a reference; the subclass has none
    assert " FAIL " not in outputs[name]


def test_the_three_trajectories_are_identical(outputs):
    trajectories = {name: [m.group(0) for m in TRAJECTORY.finditer(out)] for name, out in outputs.items()}
    assert len(trajectories["subclass"]) == 7  # six progress lines and the final params, printed in full
    assert trajectories["chain"] == trajectories["subclass"]
    assert trajectories["contrib"] == trajectories["subclass"]


# -- the page ------------------------------------------------------------------------------------------

def blocks() -> list:
    """(language, text, output or None) for each fenced block that is not an output."""
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(PAGE.read_text())]
    out = []
    for i, (lang, text) in enumerate(found):
        if lang == "text":
            assert i > 0 and found[i - 1][0] in ("python", "sh", "diff"), f"a text block follows no code:\n{text}"
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        out.append((lang, text, following[1] if following and following[0] == "text" else None))
    return out


def assert_shows(expected: str | None, actual: str, what: str) -> None:
    """`actual` matches the page's text block line by line: a '...' line stands for any lines, '...' in a line
    for any characters (digits the page leaves out, say)."""
    if expected is None:
        return
    pattern = "\n".join(".*?" if line.strip() == "..." else re.escape(line.rstrip()).replace(r"\.\.\.", "[^\\n]*?")
                        for line in expected.rstrip("\n").splitlines())
    actual = "\n".join(line.rstrip() for line in actual.rstrip("\n").splitlines())
    assert re.fullmatch(pattern, actual, re.S), f"{what} prints:\n{actual}\n\nbut the page shows:\n{expected}"


def lines_of(text: str) -> list:
    return [line.strip() for line in text.splitlines() if line.strip()]


def is_excerpt(text: str) -> bool:
    """Whether the block's lines appear, in order and together, in one of the examples."""
    want = lines_of(text)
    for path in EXAMPLES.glob("custom_optimizer_*.py"):
        have = lines_of(path.read_text())
        if any(have[i:i + len(want)] == want for i in range(len(have) - len(want) + 1)):
            return True
    return False


def test_page_has_the_three_ways_and_the_pitfalls():
    kinds = [lang for lang, _, _ in blocks()]
    assert kinds.count("diff") >= 10 and "sh" in kinds and "python" in kinds
    text = PAGE.read_text()
    for name in NAMES:
        assert f"examples/custom_optimizer_{name}.py" in text


def test_python_blocks_are_excerpts_or_run_and_print_what_the_page_shows():
    runnable = [(text, shown) for lang, text, shown in blocks() if lang == "python" and not is_excerpt(text)]
    assert runnable, "no runnable block found"
    marker = "<<<block>>>"
    script = "import sys\nsys.path.insert(0, 'examples')\n" + "".join(
        f"print({marker!r})\n{text}\n" for text, _ in runnable)
    proc = run_python(["-c", script])
    assert proc.returncode == 0, f"a block of the page failed:\n{proc.stdout}\n{proc.stderr}"
    printed = proc.stdout.split(marker + "\n")[1:]
    for (text, shown), out in zip(runnable, printed):
        assert_shows(shown, out, text)


def test_shell_blocks_run_and_print_what_the_page_shows():
    for lang, text, shown in blocks():
        if lang != "sh":
            continue
        printed = []
        for command in text.strip().splitlines():
            args = shlex.split(command.split("  #")[0])
            if args[0] == "numtorch":
                args = ["-m", "numtorch", *args[1:]]
            else:
                assert args[0] == "python", f"the test runs only python and numtorch commands: {command}"
                args = args[1:]
            proc = run_python(args)
            assert proc.returncode == 0, f"{command} failed:\n{proc.stdout}\n{proc.stderr}"
            printed.append(proc.stdout)
        assert_shows(shown, "".join(printed), text)


# -- the pitfalls: each diff is a bug put into the subclass, and the page shows what check_optimizer says --------

def apply(diff: str, source: str) -> str:
    """`source` with each hunk of `diff` ('-' lines replaced by '+' lines, ' ' lines kept; '@@' separates hunks)."""
    for hunk in re.split(r"^@@.*\n", diff, flags=re.M):
        if not hunk.strip():
            continue
        old, new = [], []
        for line in hunk.splitlines():
            mark, rest = line[:1] or " ", line[1:]  # an empty line: an empty context line, trailing space stripped
            assert mark in " -+", f"not a diff line: {line!r}"
            if mark in " -":
                old.append(rest)
            if mark in " +":
                new.append(rest)
        old, new = "\n".join(old) + "\n", "\n".join(new) + "\n"
        assert source.count(old) == 1, f"the diff's context is not (once) in the example:\n{old}"
        source = source.replace(old, new)
    return source


def load(source: str, name: str):
    """The module `source` defines, importable by `name` while it is checked (deepcopy and save need that)."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, "custom_optimizer_subclass.py", "exec"), module.__dict__)
    return module


def excerpt(report) -> str:
    """The printed report with the passing rows (and the header row, and 'no reference given') left out as '...'."""
    out, keep = [], True
    for line in str(report).splitlines():
        if line.startswith("check_optimizer("):
            out.append(line)
            continue
        if not line.startswith("   "):  # a row (two spaces in), not an 'observed:' continuation
            keep = line.split()[1] not in ("pass", "result") and "no reference given" not in line
        if keep:
            out.append(line)
        elif out[-1] != "  ...":
            out.append("  ...")
    return "\n".join(out)


def pitfalls() -> list:
    return [(text, shown) for lang, text, shown in blocks() if lang == "diff"]


@pytest.mark.parametrize("index", range(len(pitfalls())))
def test_each_pitfall_is_caught_as_the_page_shows(index):
    from numtorch.optim.testing import check_optimizer
    diff, shown = pitfalls()[index]
    assert shown is not None, f"the page shows no report for:\n{diff}"
    source = apply(diff, (EXAMPLES / "custom_optimizer_subclass.py").read_text())
    name = f"_pitfall_{index}"
    try:
        report = check_optimizer(load(source, name).SGDW, **CHECK_OPTIONS)
    finally:
        sys.modules.pop(name, None)
    assert report.failed, f"check_optimizer found nothing wrong with:\n{diff}"
    assert_shows(shown, excerpt(report), diff)
