"""The `numtorch` command: `numtorch arena` (optimizers race, with a report) and `numtorch check MODULE:CLASS`."""
from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    from . import arena, check
    parser = argparse.ArgumentParser(
        prog="numtorch", description="numtorch: PyTorch's autograd and optimizers on NumPy.",
        epilog="Start with: numtorch arena --quick")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    arena.add_parser(sub)
    check.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]) and return the exit status instead of exiting."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse has already printed
        return e.code if isinstance(e.code, int) else 2
    try:
        return args.run(args)
    except BrokenPipeError:  # `numtorch arena | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
