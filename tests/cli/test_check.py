"""`numtorch check MODULE:CLASS`: exit 0 on a correct optimizer, 1 naming the failed property, 2 when it cannot load."""
import pathlib
import subprocess
import sys
import textwrap

import pytest

from numtorch.cli import main

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "my_optimizer.py"


def test_a_correct_optimizer_passes(capsys):
    assert main(["check", f"{EXAMPLE}:HeavyBall"]) == 0
    out = capsys.readouterr().out
    assert "check_optimizer(HeavyBall): " in out and " 0 failed" in out


def test_a_broken_optimizer_fails_naming_the_property(capsys):
    assert main(["check", f"{EXAMPLE}:LeakyHeavyBall", "--kwargs", '{"lr": 0.05, "momentum": 0.5}']) == 1
    out = capsys.readouterr().out
    assert "check_optimizer(LeakyHeavyBall, lr=0.05, momentum=0.5)" in out
    assert "FAILED: grad_untouched" in out
    assert [line.split()[:2] for line in out.splitlines() if "FAIL " in line] == [["grad_untouched", "FAIL"]]


def test_a_dotted_module_from_the_current_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_pkg").mkdir()
    (tmp_path / "my_pkg" / "__init__.py").write_text("")
    (tmp_path / "my_pkg" / "opt.py").write_text(textwrap.dedent("""
        import numtorch as torch
        from numtorch.optim import Optimizer

        class FixedLR(Optimizer):
            '''Reads lr once, in __init__: schedulers and param-group lrs have no effect, a deep copy loses it.'''
            def __init__(self, params, lr=0.1):
                super().__init__(params, dict(lr=lr))
                self.lr = lr

            @torch.no_grad()
            def step(self, closure=None):
                loss = None
                if closure is not None:
                    with torch.enable_grad():
                        loss = closure()
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.add_(p.grad, alpha=-self.lr)
                return loss
        """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    assert main(["check", "my_pkg.opt:FixedLR"]) == 1
    assert "FAILED: lr_used" in capsys.readouterr().out
    skips = ["--skip", "lr_used", "--skip", "param_groups", "--skip", "deepcopy"]
    assert main(["check", "my_pkg.opt:FixedLR", *skips]) == 0
    for name in [m for m in sys.modules if m == "my_pkg" or m.startswith("my_pkg.")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize("target, kwargs, message", [
    ("examples/nowhere.py:X", "{}", "no such file"),
    ("no_such_module_here:X", "{}", "no module named 'no_such_module_here'"),
    (f"{EXAMPLE}:Missing", "{}", "optimizers defined there: HeavyBall, LeakyHeavyBall"),
    (f"{EXAMPLE}", "{}", "expected MODULE:CLASS"),
    (f"{EXAMPLE}:HeavyBall", "{lr: 1}", "--kwargs is not valid JSON"),
    (f"{EXAMPLE}:HeavyBall", "[1]", "must be a JSON object"),
])
def test_what_cannot_load_exits_2_with_a_clear_error(target, kwargs, message, capsys):
    assert main(["check", target, "--kwargs", kwargs]) == 2
    assert message in capsys.readouterr().err


def test_an_import_error_in_the_file_is_reported(tmp_path, capsys):
    bad = tmp_path / "bad_opt.py"
    bad.write_text("import numtorch\nx = 1 / 0\n")
    assert main(["check", f"{bad}:Opt"]) == 2
    err = capsys.readouterr().err
    assert "importing" in err and "ZeroDivisionError" in err and "bad_opt.py:2" in err


def test_exit_status_through_python_m():
    proc = subprocess.run([sys.executable, "-m", "numtorch", "check", "examples/my_optimizer.py:LeakyHeavyBall"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "grad_untouched" in proc.stdout
