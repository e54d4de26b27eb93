"""`numtorch check MODULE:CLASS`: run the optimizer conformance kit on a user's optimizer and print the report.

Exit status: 0 when every property holds (skips are fine), 1 when one
fails, 2 when the optimizer cannot even be loaded (bad spec, import error,
no such class, bad --kwargs).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import pathlib
import sys
import traceback

__all__ = ["add_parser", "run", "load_object", "LoadError"]

DEFAULT_LR = 1e-2


class LoadError(Exception):
    """The MODULE:CLASS spec could not be turned into an object; the message says why."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="check that an optimizer keeps torch.optim's contract",
        description="Run numtorch.optim.testing.check_optimizer on an optimizer class and print the report. "
                    "Exit status 1 when a property fails.")
    p.add_argument("target", metavar="MODULE:CLASS",
                   help="the optimizer: a dotted module (mypkg.optim:MyOpt) or a file (examples/my_optimizer.py:MyOpt)")
    p.add_argument("--kwargs", default="{}", metavar="JSON",
                   help='constructor options as a JSON object, e.g. \'{"lr": 0.1, "momentum": 0.9}\'')
    p.add_argument("--steps", type=int, default=10, help="steps per run (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the test problems (default 0)")
    p.add_argument("--properties", default=None, metavar="A,B",
                   help="run only these properties (default: all)")
    p.add_argument("--skip", action="append", default=[], metavar="PROPERTY",
                   help="a property that does not hold by design (reported as skipped); repeatable")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from numtorch.optim.testing import check_optimizer
    try:
        cls = load_object(args.target)
        options = _options(args.kwargs)
    except LoadError as e:
        print(f"numtorch check: {e}", file=sys.stderr)
        return 2
    factory, options = _factory(cls, options, check_optimizer)
    properties = args.properties.split(",") if args.properties else None
    try:
        report = check_optimizer(factory, steps=args.steps, seed=args.seed, properties=properties,
                                 skip={name: "skipped with --skip" for name in args.skip}, **options)
    except (TypeError, ValueError) as e:  # check_optimizer's own argument checks (unknown property, ...)
        print(f"numtorch check: {e}", file=sys.stderr)
        return 2
    print(report)
    if report.failed:
        print(f"\nFAILED: {', '.join(r.name for r in report.failed)}")
        return 1
    return 0


def _options(text: str) -> dict:
    try:
        options = json.loads(text)
    except json.JSONDecodeError as e:
        raise LoadError(f"--kwargs is not valid JSON ({e.msg} at column {e.colno}): {text}") from None
    if not isinstance(options, dict):
        raise LoadError(f"--kwargs must be a JSON object like '{{\"lr\": 0.1}}', not {text}")
    return options


def _factory(cls, options: dict, check_optimizer):
    """The class and its options, with a default lr when the class requires one and none was given.

    Options whose names check_optimizer itself takes (steps, seed, ...) are
    bound to the class first, so that they reach the optimizer.
    """
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return cls, options
    lr = sig.parameters.get("lr")
    if lr is not None and lr.default is inspect.Parameter.empty and "lr" not in options:
        print(f"(no lr given and {getattr(cls, '__name__', cls)} has no default: using lr={DEFAULT_LR})")
        options = {**options, "lr": DEFAULT_LR}
    own = set(inspect.signature(check_optimizer).parameters)
    clashing = {k: v for k, v in options.items() if k in own}
    if clashing:
        import functools
        factory = functools.partial(cls, **clashing)
        factory.__qualname__ = getattr(cls, "__qualname__", "optimizer")
        return factory, {k: v for k, v in options.items() if k not in own}
    return cls, options


def load_object(spec: str):
    """The object named by 'MODULE:NAME', MODULE being a dotted module name or the path of a .py file."""
    module_name, sep, name = spec.rpartition(":")
    if not sep or not module_name or not name:
        raise LoadError(f"expected MODULE:CLASS (e.g. examples/my_optimizer.py:MyMomentum), got {spec!r}")
    module = _import_file(module_name) if _is_path(module_name) else _import_module(module_name)
    obj = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            found = sorted(n for n, v in vars(module).items() if isinstance(v, type) and hasattr(v, "step")
                           and getattr(v, "__module__", None) == module.__name__)
            hint = f"; optimizers defined there: {', '.join(found)}" if found else ""
            raise LoadError(f"{module_name} has no {name!r}{hint}") from None
    return obj


def _is_path(name: str) -> bool:
    return name.endswith(".py") or os.sep in name or "/" in name


def _import_module(name: str):
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # `numtorch check mypkg.opt:X` from a project folder, as `python -m` would
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and name.startswith(e.name):
            raise LoadError(f"no module named {name!r} (from the current folder or an installed package); "
                            f"for a file, give its path: path/to/file.py:CLASS") from None
        raise LoadError(_import_failure(name, e)) from None
    except Exception as e:
        raise LoadError(_import_failure(name, e)) from None


def _import_file(path_text: str):
    path = pathlib.Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise LoadError(f"no such file: {path_text}")
    name = f"numtorch_check_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # classes must be findable by module name (pickling, dataclasses)
    sys.path.insert(0, str(path.parent))  # the file's own sibling imports work, as with `python file.py`
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        del sys.modules[name]
        raise LoadError(_import_failure(path_text, e)) from None
    finally:
        sys.path.remove(str(path.parent))
    return module


def _import_failure(where: str, e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    place = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"importing {where} failed: {type(e).__name__}: {e}{place}"
