"""`numtorch arena` end to end: the quick race, its table, report folder, reproducibility, and page in Chromium."""
import contextlib
import io
import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from numtorch.cli import main
from numtorch.cli.arena import DEFAULTS, Progress
from numtorch.cli.tasks import SURFACES, TASKS
from numtorch.viz._optional import available

REPO = pathlib.Path(__file__).resolve().parents[2]
LABELS = [label for label, *_ in DEFAULTS]
CHROMIUM = "/usr/bin/chromium"


def run_main(argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One `numtorch arena --quick --seed 0` run, in-process, shared by the tests below."""
    out = tmp_path_factory.mktemp("arena") / "report"
    code, text = run_main(["arena", "--quick", "--out", str(out), "--seed", "0"])
    return code, text, out


def tables(text: str) -> dict:
    """{task title: [row cells]} parsed from the printed tables."""
    found, current = {}, None
    for line in text.splitlines():
        heading = next((t.title for t in TASKS if line.startswith(t.title + " (")), None)
        if heading:
            current = found.setdefault(heading, [])
        elif current is not None and re.match(r"^\s*\d+\s{2}", line):
            current.append(line.split())
        elif not line.strip():
            current = None
    return found


def without_times(text: str) -> str:
    """The tables only, without the wall-time column (the one thing that differs between equal runs)."""
    keep = [line for line in text.splitlines() if not line.startswith(("[arena]", "Report:", "arena finished"))]
    return "\n".join(re.sub(r"\s+\d+\.\d\d s$", "", line) for line in keep)


def raw_without_times(path: pathlib.Path) -> dict:
    raw = json.loads(path.read_text())
    for task in raw["tasks"]:
        for run in task["runs"]:
            del run["wall_time_s"]
    return raw


def test_quick_prints_a_ranked_table_per_task_with_every_optimizer(quick):
    code, text, _ = quick
    assert code == 0
    found = tables(text)
    assert list(found) == [t.title for t in TASKS]
    for title, rows in found.items():
        assert sorted(row[1] for row in rows) == sorted(LABELS), title
        assert [int(row[0]) for row in rows] == list(range(1, len(LABELS) + 1))
    assert "Report:" in text and "arena finished in" in text


def test_quick_ranking_follows_the_final_loss(quick):
    _, _, out = quick
    raw = json.loads((out / "results.json").read_text())
    for task in raw["tasks"]:
        runs = {r["optimizer"]: r for r in task["runs"]}
        keys = [(float(f"{r['final_loss']:.4g}"), r["steps_to_target"] if r["steps_to_target"] is not None
                 else math.inf) for r in (runs[name] for name in task["ranking"]) if r["final_loss"] is not None]
        assert keys == sorted(keys), task["key"]  # printed loss, then speed
        assert all(runs[name]["final_loss"] is None for name in task["ranking"][len(keys):])  # failed runs last
        for r in task["runs"]:
            assert r["lr"] in [s["lr"] for s in r["sweep"]]  # the race ran at one of the swept lrs
            if r["steps_to_target"] is not None:
                assert r["losses"][r["steps_to_target"]] <= task["target"]


def test_quick_writes_the_report_folder(quick):
    _, _, out = quick
    page = (out / "index.html").read_text()
    raw = json.loads((out / "results.json").read_text())
    assert [t["key"] for t in raw["tasks"]] == [t.key for t in TASKS]
    assert raw["settings"] == {"seed": 0, "schedule": "none", "quick": True, "lr_factors": [0.1, 1.0, 10.0]}
    for task in TASKS:
        assert f'id="{task.key}"' in page
    for label in LABELS:
        assert f"<td>{label}</td>" in page
    images = re.findall(r'<img src="([^"]+)"', page)
    if available("matplotlib"):
        expected = {f"plots/{s.key}_trajectories.png" for s in SURFACES}
        expected |= {f"plots/{t.key}_{kind}.png" for t in TASKS for kind in ("loss", "lr")}
        assert set(images) == expected
        for src in images:
            assert (out / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert images == [] and "Plots were skipped" in page


def test_same_seed_same_table_in_a_subprocess(quick, tmp_path):
    """`python -m numtorch arena --quick` in a fresh process gives the in-process run's table and numbers."""
    _, text, out = quick
    proc = subprocess.run([sys.executable, "-m", "numtorch", "arena", "--quick", "--out", str(tmp_path / "again"),
                           "--seed", "0"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert without_times(proc.stdout) == without_times(text)
    assert raw_without_times(tmp_path / "again" / "results.json") == raw_without_times(out / "results.json")


def test_the_seed_changes_the_race(tmp_path):
    argv = ["arena", "--tasks", "spirals", "--only", "adam", "--steps", "12", "--out"]
    first = run_main(argv + [str(tmp_path / "a"), "--seed", "1"])[1]
    second = run_main(argv + [str(tmp_path / "b"), "--seed", "2"])[1]
    assert tables(first) != tables(second)


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="Debian's chromium is not installed (apt-get install chromium)")
def test_report_images_load_in_headless_chromium(quick, tmp_path):
    """Every <img> of index.html decodes in a real browser (naturalWidth > 0), following the page's relative links."""
    _, _, out = quick
    page = (out / "index.html").read_text()
    probe = """<script>window.addEventListener("load", () => {
      const imgs = [...document.images].map(i => [i.getAttribute("src"), i.complete && i.naturalWidth]);
      const pre = document.createElement("pre"); pre.id = "image-check"; pre.textContent = JSON.stringify(imgs);
      document.body.appendChild(pre);
    });</script>"""
    check = out / "image-check.html"  # next to index.html, so the relative links resolve the same way
    check.write_text(page.replace("</body>", probe + "</body>"))
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=20000", "--dump-dom", check.as_uri()],
        capture_output=True, text=True, timeout=120)
    check.unlink()
    found = re.search(r'<pre id="image-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the page did not finish loading: {proc.stderr[-2000:]}"
    images = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(images) == len(re.findall(r"<img ", page))
    assert [src for src, width in images if not width] == []
    if available("matplotlib"):
        assert len(images) == len(SURFACES) + 2 * len(TASKS)


def test_without_matplotlib_the_arena_writes_tables_and_says_what_it_skipped(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, text = run_main(["arena", "--tasks", "saddle,linreg", "--only", "adam,lbfgs", "--steps", "20",
                           "--out", str(tmp_path)])
    assert code == 0
    assert list(tables(text)) == ["Saddle", "Linear regression"]
    assert "skipped: plots" in text and "pip install matplotlib" in text
    assert "Plots were skipped" in (tmp_path / "index.html").read_text()
    assert not list((tmp_path / "plots").glob("*.png"))
    assert json.loads((tmp_path / "results.json").read_text())["tasks"][0]["key"] == "saddle"


def test_extra_optimizers_by_name_and_from_a_file(tmp_path):
    code, text = run_main(["arena", "--tasks", "linreg", "--only", "sgd", "--steps", "20", "--out", str(tmp_path),
                           "--optimizers", f"adan,{REPO / 'examples' / 'my_optimizer.py'}:HeavyBall"])
    assert code == 0
    assert sorted(row[1] for row in tables(text)["Linear regression"]) == ["Adan", "HeavyBall", "SGD"]


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_schedules_shape_the_recorded_lrs(tmp_path, schedule):
    code, _ = run_main(["arena", "--tasks", "linreg", "--only", "adam,lbfgs", "--steps", "40", "--schedule", schedule,
                        "--out", str(tmp_path)])
    assert code == 0
    for run in json.loads((tmp_path / "results.json").read_text())["tasks"][0]["runs"]:
        lrs = run["lrs"]
        assert len(lrs) == 40 and lrs[-1] < max(lrs)
        if schedule == "cosine":
            assert lrs[0] == run["lr"] and lrs == sorted(lrs, reverse=True)
        else:
            assert lrs[0] < max(lrs) and max(lrs) == pytest.approx(run["lr"], rel=0.01)


@pytest.mark.parametrize("argv", [["--optimizers", "no-such-optimizer"], ["--tasks", "no-such-task"],
                                  ["--optimizers", "examples/missing.py:X"]])
def test_bad_names_exit_2(argv, capsys):
    assert main(["arena", *argv]) == 2
    assert "numtorch arena:" in capsys.readouterr().err


def test_progress_uses_tqdm_bars_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Progress(Terminal()), Progress(io.StringIO())
    for p in (tty, pipe):
        p.start("Rosenbrock", 2)
        p.tick("Adam lr=0.1")
        p.tick("Adam lr=0.01")
        p.close()
    assert pipe.stream.getvalue() == "[arena] Rosenbrock: 2 runs (lr sweeps and races)\n"
    if available("tqdm"):
        assert "Rosenbrock" in tty.stream.getvalue() and "\r" in tty.stream.getvalue() and not tty.skipped
    else:
        assert tty.skipped and "tqdm" in tty.skipped[0]


def test_console_script_is_declared():
    text = (REPO / "pyproject.toml").read_text()
    assert 'numtorch = "numtorch.cli:main"' in text
    if shutil.which("numtorch"):
        proc = subprocess.run(["numtorch", "--help"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "arena" in proc.stdout
