"""repr(tensor) in torch's exact layout, computed from the NumPy array.

The rules (read from torch's documentation and behaviour, implemented here):
- one formatter per tensor chooses integer mode (every finite nonzero value is
  a whole number: printed `1.`), scientific mode (max/min ratio above 1000,
  max above 1e8 or min below 1e-4, unless `sci_mode` forces it) or fixed point
  with `precision` digits, and pads every element to one common width;
- a tensor with more than `threshold` elements is summarized: `edgeitems`
  rows/elements at each end of every dimension, `...` between; the formatter
  then only looks at the shown elements;
- 1-d rows wrap at `linewidth`, nested dimensions are separated by
  `dim - 1` newlines and indented under their opening bracket;
- suffixes (dtype, size, grad_fn, requires_grad) follow, moving to a new line
  when they would pass `linewidth`.
Values are formatted as Python floats/ints, as torch does via `.item()`/`.tolist()`.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision, self.threshold, self.edgeitems, self.linewidth = 4, 1000, 3, 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """torch.set_printoptions. As in torch, `sci_mode` is reset to automatic unless given."""
    if profile is not None and profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return {name: getattr(PRINT_OPTS, name) for name in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """The common element width and notation of one tensor's printed elements."""

    __slots__ = ("floating", "int_mode", "sci_mode", "max_width")

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = a.ravel()
        if not self.floating:
            if flat.size:
                self.max_width = max(1, max(len(str(v)) for v in set(flat.tolist())))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        mags = np.abs(vals).astype(np.float64)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool((vals == np.ceil(vals)).all())
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        uniq = set(vals.tolist())
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in uniq)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in uniq)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in uniq)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                s = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            s = str(value)
        return s.rjust(self.max_width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows, for the formatter to measure."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # a[-0:] is the whole row: with edgeitems=0 torch measures every element.
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    rows = range(a.shape[0])
    if a.shape[0] > 2 * e:
        rows = list(rows[:e]) + list(rows[-e:])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
                 [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        slices = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _array_str(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(a) if summarize else a)
    return _nested_str(a, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes, indent: int) -> str:
    parts = [text]
    # torch's measure of the last line (it counts two more characters than the line has)
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _is_parameter_class(cls) -> bool:
    return cls.__name__ == "Parameter" and cls.__module__ == "numtorch.nn.parameter"


def tensor_repr(t, tensor_contents=None) -> str:
    from ._tensor import Tensor
    cls = type(t)
    plain = cls is Tensor or _is_parameter_class(cls)
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    a = t._data
    dt = _dtype.from_np(a.dtype)
    default = _dtype.get_default_dtype()
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not default:
            suffixes.append(f"dtype={dt}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not default and dt is not _dtype.int64 and dt is not _dtype.bool:
            suffixes.append(f"dtype={dt}")
        body = _array_str(a, indent)
    if tensor_contents is not None:
        body = tensor_contents
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    out = _add_suffixes(prefix + body, suffixes, indent)
    if not plain and any(_is_parameter_class(c) for c in cls.__mro__):
        out = f"Parameter({out})"
    return out
