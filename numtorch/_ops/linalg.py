"""Linear algebra: the matmul family, einsum, norms, inv/det/solve/cholesky, and their derivatives.

One rule, `_matmul_grads`, differentiates every product of torch's matmul
shapes (1-D operands promoted, batch dims broadcast; the engine sums the
broadcast away); mm, bmm, mv, dot and the add* ops reuse it. einsum runs on
integer sublists; the grad of an operand is again an einsum of the grad
and the other operands, with constant identity / ones operands standing in
for repeated labels and labels no other operand has. Products only compute
the grads of inputs that need them: they are the expensive ones.
"""
from __future__ import annotations

__all__ = ["addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "cross", "det", "dot", "einsum", "ger", "inner",
           "inverse", "kron", "matmul", "mm", "mv", "norm", "outer", "tensordot", "vdot"]

import math
import string

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim, bind_methods, wrap
from ..autograd.graph import Node
from . import dual
from ._core import OUT, record
from .inplace import inplace
from .reduction import _axes, _legacy, _mask, _safe_div, amax, amin, restore_dims
from .reduction import sum as _sum


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix the operation cannot handle (singular, not positive-definite)."""


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _same_dtype(x, y, what="m1 and m2"):
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected {what} to have the same dtype, but got: {_C_NAMES[x.dtype.name]} != "
                           f"{_C_NAMES[y.dtype.name]}")
    if x.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _t(x):
    return dual.transpose(x, -1, -2)


def _drop(x, axis):
    """x without its size-1 dim `axis` (a reshape, so it works on arrays and Tensors)."""
    shape = list(dual.data(x).shape)
    del shape[axis]
    return dual.reshape(x, tuple(shape))


def _scaled(x, s):
    return x if s == 1 else x * s


# -- matmul and its special cases -------------------------------------------------------------


def _matmul_grads(g, a, b, need_a, need_b):
    """Grads of a @ b for torch's matmul shapes: 1-D a is a row, 1-D b a column, batch dims broadcast."""
    na, nb = dual.data(a).ndim, dual.data(b).ndim
    ga = gb = None
    if na == 1 and nb == 1:
        return (g * b if need_a else None), (g * a if need_b else None)
    if need_a:
        if na == 1:
            ga = _drop(b @ dual.unsqueeze(g, -1), -1)
        elif nb == 1:
            ga = dual.unsqueeze(g, -1) * b
        else:
            ga = g @ _t(b)
    if need_b:
        if na == 1:
            gb = dual.unsqueeze(a, -1) * dual.unsqueeze(g, -2)
        elif nb == 1:
            gb = _drop(dual.unsqueeze(g, -2) @ a, -2)
        else:
            gb = _t(a) @ g
    return ga, gb


class _Product(Node):
    def backward(self, g, a, b):
        return _matmul_grads(g, a, b, self._next[0] is not None, self._next[1] is not None)


DotBackward0 = type("DotBackward0", (_Product,), {})
VdotBackward0 = type("VdotBackward0", (_Product,), {})
MmBackward0 = type("MmBackward0", (_Product,), {})
MvBackward0 = type("MvBackward0", (_Product,), {})
BmmBackward0 = type("BmmBackward0", (_Product,), {})
SqueezeBackward4 = type("SqueezeBackward4", (_Product,), {})     # torch's name for 1-D @ 2-D
UnsafeViewBackward0 = type("UnsafeViewBackward0", (_Product,), {})  # ... and for batched matmul

_MATMUL_NODE = {(1, 1): DotBackward0, (2, 2): MmBackward0, (2, 1): MvBackward0, (1, 2): SqueezeBackward4}


def _size_error_1d(n, m):
    return RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                        f"of elements, but got {n} and {m} elements respectively")


def _mm_error(x, y):
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x{x.shape[1]} and "
                        f"{y.shape[0]}x{y.shape[1]})")


def _matmul_error(x, y):
    if x.ndim == 1 and y.ndim == 1:
        return _size_error_1d(x.shape[0], y.shape[0])
    if x.ndim <= 2 and y.ndim == 2:
        return _mm_error(x.reshape(1, -1) if x.ndim == 1 else x, y)
    if x.ndim == 2 and y.ndim == 1:
        return RuntimeError(f"size mismatch, got input ({x.shape[0]}), mat ({x.shape[0]}x{x.shape[1]}), "
                            f"vec ({y.shape[0]})")
    bx, by = x.shape[:-2], y.shape[:-2]
    for i in range(1, min(len(bx), len(by)) + 1):
        if bx[-i] != by[-i] and 1 not in (bx[-i], by[-i]):
            return RuntimeError(f"The size of tensor a ({bx[-i]}) must match the size of tensor b ({by[-i]}) at "
                                f"non-singleton dimension {max(len(bx), len(by)) - i}")
    batch = math.prod(np.broadcast_shapes(bx, by))
    k = x.shape[-1]
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] but got: "
                        f"[{batch}, {y.shape[-2] if y.ndim > 1 else y.shape[0]}].")


def matmul(input, other, *, out=None):
    x, y = input._data, other._data
    if x.dtype != y.dtype or x.dtype.kind == "b":
        if x.ndim == 1 and y.ndim == 1 and x.dtype != y.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_legacy(x)} and "
                               f"{_legacy(y)}")
        _same_dtype(x, y)
    if not x.ndim or not y.ndim:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {x.ndim}D and "
                           f"{y.ndim}D")
    try:
        data = np.matmul(x, y)
    except ValueError:
        raise _matmul_error(x, y) from None
    res = record(_MATMUL_NODE.get((x.ndim, y.ndim), UnsafeViewBackward0), data, (input, other), (input, other))
    return res if out is None else _out(res, out)


def _out(res, out):
    from .pointwise import _with_out
    return _with_out(res, out)


def mm(input, mat2, *, out=None):
    x, y = input._data, mat2._data
    if x.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if y.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_dtype(x, y)
    if x.shape[1] != y.shape[0]:
        raise _mm_error(x, y)
    res = record(MmBackward0, x @ y, (input, mat2), (input, mat2))
    return res if out is None else _out(res, out)


def _bmm_check(x, y):
    if x.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if y.shape[:2] != (x.shape[0], x.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{x.shape[0]}, "
                           f"{x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}].")
    _same_dtype(x, y)


def bmm(input, mat2, *, out=None):
    x, y = input._data, mat2._data
    _bmm_check(x, y)
    res = record(BmmBackward0, np.matmul(x, y), (input, mat2), (input, mat2))
    return res if out is None else _out(res, out)


def _mv_check(x, y):
    if x.ndim != 2 or y.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {x.ndim}, {y.ndim}")
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({x.shape[0]}), mat ({x.shape[0]}x{x.shape[1]}), "
                           f"vec ({y.shape[0]})")
    _same_dtype(x, y)


def mv(input, vec, *, out=None):
    x, y = input._data, vec._data
    _mv_check(x, y)
    res = record(MvBackward0, x @ y, (input, vec), (input, vec))
    return res if out is None else _out(res, out)


def _vector_product(cls, name, input, other):
    x, y = input._data, other._data
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    if x.shape != y.shape:
        raise _size_error_1d(x.shape[0], y.shape[0])
    if x.dtype != y.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found {_legacy(x)} and "
                           f"{_legacy(y)}")
    return record(cls, np.dot(x, y), (input, other), (input, other))


def dot(input, tensor, *, out=None):
    res = _vector_product(DotBackward0, "dot", input, tensor)
    return res if out is None else _out(res, out)


def vdot(input, other, *, out=None):
    res = _vector_product(VdotBackward0, "vdot", input, other)
    return res if out is None else _out(res, out)


# -- beta * input + alpha * product ----------------------------------------------------------------


class _AddProduct(Node):
    """beta * input + alpha * (m1 (x) m2): `grads` maps (g, m1, m2, needs) to the product's grads."""

    def backward(self, g, m1, m2):
        need = self._next
        g_in = None if need[0] is None else _scaled(g, self.beta)
        if need[1] is None and need[2] is None:
            return g_in, None, None
        g1, g2 = self.grads(_scaled(g, self.alpha), m1, m2, need[1] is not None, need[2] is not None)
        return g_in, g1, g2


def _product_grads(g, m1, m2, n1, n2):
    return _matmul_grads(g, m1, m2, n1, n2)


def _summed_bmm_grads(g, m1, m2, n1, n2):
    return _matmul_grads(dual.unsqueeze(g, 0), m1, m2, n1, n2)


def _outer_grads(g, v1, v2, n1, n2):
    return (g @ v2 if n1 else None), (_t(g) @ v1 if n2 else None)


AddmmBackward0 = type("AddmmBackward0", (_AddProduct,), {"grads": staticmethod(_product_grads)})
AddmvBackward0 = type("AddmvBackward0", (_AddProduct,), {"grads": staticmethod(_product_grads)})
BaddbmmBackward0 = type("BaddbmmBackward0", (_AddProduct,), {"grads": staticmethod(_product_grads)})
AddbmmBackward0 = type("AddbmmBackward0", (_AddProduct,), {"grads": staticmethod(_summed_bmm_grads)})
AddrBackward0 = type("AddrBackward0", (_AddProduct,), {"grads": staticmethod(_outer_grads)})


def _add_product(cls, input, m1, m2, beta, alpha, product):
    x = input._data
    p = product(m1._data, m2._data)
    if x.dtype != p.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(x)} and {_legacy(p)}")
    try:
        if np.broadcast_shapes(x.shape, p.shape) != p.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({p.shape[-1] if p.ndim else 1}) must match the "
                           f"existing size ({x.shape[-1] if x.ndim else 1}) at non-singleton dimension "
                           f"{p.ndim - 1}.  Target sizes: {list(p.shape)}.  Tensor sizes: {list(x.shape)}") from None
    if alpha != 1:
        p = p * alpha
    if beta != 0:   # torch ignores input (NaN included) when beta is 0
        p = p + (x if beta == 1 else x * beta)
    return record(cls, p, (input, m1, m2), (m1, m2), {"beta": beta, "alpha": alpha})


def _mm_product(x, y):
    if x.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {x.ndim}-D tensor")
    if y.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {y.ndim}-D tensor")
    if x.shape[1] != y.shape[0]:
        raise _mm_error(x, y)
    _same_dtype(x, y)
    return x @ y


def _mv_product(x, y):
    _mv_check(x, y)
    return x @ y


def _bmm_product(x, y):
    _bmm_check(x, y)
    return np.matmul(x, y)


def _summed_bmm_product(x, y):
    _bmm_check(x, y)
    b, n, k = x.shape
    return np.swapaxes(x, 0, 1).reshape(n, b * k) @ y.reshape(b * k, y.shape[2])


def _outer_product(x, y):
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {x.ndim}-D" if x.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {y.ndim}-D")
    _same_dtype(x, y)
    return np.multiply.outer(x, y)


def _add_product_op(name, cls, product):
    def op(input, m1, m2, *, beta=1, alpha=1, out=None):
        res = _add_product(cls, input, m1, m2, beta, alpha, product)
        return res if out is None else _out(res, out)
    op.__name__ = op.__qualname__ = name
    return op


addmm = _add_product_op("addmm", AddmmBackward0, _mm_product)
addmv = _add_product_op("addmv", AddmvBackward0, _mv_product)
baddbmm = _add_product_op("baddbmm", BaddbmmBackward0, _bmm_product)
addbmm = _add_product_op("addbmm", AddbmmBackward0, _summed_bmm_product)
addr = _add_product_op("addr", AddrBackward0, _outer_product)


def outer(input, vec2, *, out=None):
    """A column times a row: torch composes it the same way (grad_fn MulBackward0)."""
    for t, name in ((input, "self"), (vec2, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    res = input.reshape(-1, 1) * vec2
    return res if out is None else _out(res, out)


ger = outer


# -- einsum, tensordot, inner, kron ------------------------------------------------------------------

_LETTERS = string.ascii_letters   # label ids 0..51, as in NumPy's sublist format
_ELLIPSIS = -1


class EinsumBackward0(Node):
    def backward(self, g, *ops):
        return tuple(_einsum_operand_grad(g, ops, self.subs, self.out, self.sizes, i)
                     if self._next[i] is not None else None for i in range(len(ops)))


def _einsum_operand_grad(g, ops, subs, out_sub, sizes, i):
    """The grad of operand i: an einsum of g with the other operands onto operand i's labels."""
    terms = [(g, out_sub)] + [(op, s) for j, (op, s) in enumerate(zip(ops, subs)) if j != i]
    have = {label for _, s in terms for label in s}
    free = (label for label in range(len(_LETTERS)) if label not in sizes)
    dtype = dual.data(g).dtype
    target, seen = [], set()
    for label in subs[i]:
        if label in seen:   # a diagonal: a fresh label tied to this one by an identity matrix
            fresh = next(free)
            terms.append((np.eye(sizes[label], dtype=dtype), [label, fresh]))
            target.append(fresh)
            continue
        seen.add(label)
        target.append(label)
        if label not in have:   # reduced over by this operand only: the grad broadcasts along it
            terms.append((np.ones(sizes[label], dtype), [label]))
    return _einsum([t for t, _ in terms], [s for _, s in terms], target)


def _np_einsum(arrays, subs, out_sub, sizes):
    args = []
    for a, s in zip(arrays, subs):
        args += [a, list(s)]
    big = len(arrays) > 1 and math.prod(sizes.values()) > 4096
    return np.asarray(np.einsum(*args, list(out_sub), optimize=big))


def _einsum(operands, subs, out_sub, sizes=None):
    """einsum on integer sublists (dims already broadcast-compatible); arrays or Tensors."""
    if sizes is None:
        sizes = {}
        for op, s in zip(operands, subs):
            sizes.update(zip(s, dual.data(op).shape))
    if not any(isinstance(op, Tensor) for op in operands):
        return _np_einsum(operands, subs, out_sub, sizes)
    ops = tuple(op if isinstance(op, Tensor) else wrap(op) for op in operands)
    data = _np_einsum([op._data for op in ops], subs, out_sub, sizes)
    return record(EinsumBackward0, data, ops, ops, {"subs": subs, "out": list(out_sub), "sizes": sizes})


def _parse_equation(equation):
    """Terms and output of an einsum equation as lists of label ids (_ELLIPSIS for '...')."""
    terms, out = [[]], None
    i = 0
    while i < len(equation):
        c = equation[i]
        current = out if out is not None else terms[-1]
        if c == " ":
            i += 1
        elif c == ".":
            where = "the output" if out is not None else f"operand {len(terms) - 1}"
            if equation[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for {where} that is not part of any ellipsis")
            if _ELLIPSIS in current:
                raise RuntimeError(f"einsum(): found '.' for {where} for which an ellipsis was already found")
            current.append(_ELLIPSIS)
            i += 3
        elif c == "," and out is None:
            terms.append([])
            i += 1
        elif c == "-" and out is None and equation[i + 1:i + 2] == ">":
            out = []
            i += 2
        elif c in _LETTERS:
            current.append(_LETTERS.index(c))
            i += 1
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
    return terms, out


def _sublist_equation(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [out]) as an equation and its operands."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    ops, terms = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = None
    if len(args) % 2:
        out = letters(ops.pop())
    return ",".join(terms) + ("" if out is None else "->" + out), ops


def _label_sizes(terms, shapes):
    """The broadcast size of every label; torch's errors for mismatched ones."""
    sizes = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        mine = {}
        for label, n in zip(term, shape):
            name = _LETTERS[label] if label < len(_LETTERS) else "..."
            if label in mine and mine[label] != n:
                raise RuntimeError(f"einsum(): subscript {name} is repeated for operand {k} but the sizes don't "
                                   f"match, {n} != {mine[label]}")
            mine[label] = n
            prev = sizes.get(label)
            if prev is None or prev == 1:
                sizes[label] = n
            elif n not in (1, prev):
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {k} which does not "
                                   f"broadcast with previously seen size {prev}")
    return sizes


def _expand_ellipses(terms, out, shapes):
    """Replace '...' by labels of their own (right-aligned across operands, as broadcasting does)."""
    used = {label for term in terms for label in term} | set(out or ())
    spare = [label for label in range(len(_LETTERS)) if label not in used]
    counts = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        n = len(term) - (_ELLIPSIS in term)
        if _ELLIPSIS in term:
            if n > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) is more than the "
                                   f"number of dimensions ({len(shape)}) for operand {k}")
            counts.append(len(shape) - n)
        elif n != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not match the "
                               f"number of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
        else:
            counts.append(0)
    width = max(counts, default=0)
    if width > len(spare):
        raise NotImplementedError("einsum(): more than 52 distinct dimensions are not supported by numtorch")
    ell = spare[:width]

    def expand(term, n):
        i = term.index(_ELLIPSIS) if _ELLIPSIS in term else None
        return term if i is None else term[:i] + ell[width - n:] + term[i + 1:]
    terms = [expand(t, n) for t, n in zip(terms, counts)]
    if out is None:
        seen = [label for term in terms for label in term]
        out = ell + sorted((label for label in set(seen) if seen.count(label) == 1 and label not in ell),
                           key=lambda label: _LETTERS[label])
    else:
        for label in out:
            if label != _ELLIPSIS and out.count(label) > 1:
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[label]} appears more than once in the "
                                   f"output")
            if label != _ELLIPSIS and not any(label in t for t in terms):
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[label]} does not appear in the equation "
                                   f"for any input operand")
        out = expand(out, width)
    return terms, out


def einsum(*args):
    if args and not isinstance(args[0], str):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    terms, out = _parse_equation(equation)
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    dt = operands[0]._data.dtype
    for op in operands[1:]:
        if op._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {_legacy(operands[0]._data)} but found {_legacy(op._data)}")
    shapes = [op._data.shape for op in operands]
    terms, out = _expand_ellipses(terms, out, shapes)
    sizes = _label_sizes(terms, shapes)
    ops, subs = [], []
    for op, term, shape in zip(operands, terms, shapes):
        keep = [i for i, (label, n) in enumerate(zip(term, shape)) if n != 1 or sizes[label] == 1]
        if len(keep) != len(term):   # a size-1 dim broadcast against a longer one: drop it here
            op = op.reshape(tuple(shape[i] for i in keep))
        ops.append(op)
        subs.append([term[i] for i in keep])
    return _einsum(ops, subs, out, sizes)


def tensordot(a, b, dims=2, out=None):
    x, y = a._data, b._data
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, (int, np.integer)) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, (int, np.integer)) else list(dims_b)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    if x.ndim + y.ndim > len(_LETTERS):
        raise NotImplementedError("tensordot with more than 52 dimensions in all is not supported by numtorch")
    sub_a = list(range(x.ndim))
    sub_b = list(range(x.ndim, x.ndim + y.ndim))
    for da, db in zip(dims_a, dims_b):
        ia, ib = _wrap_dim(da, x.ndim), _wrap_dim(db, y.ndim)
        if x.shape[ia] != y.shape[ib]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {x.shape[ia]} in dim {da} "
                               f"and second has size {y.shape[ib]} in dim {db}")
        sub_b[ib] = sub_a[ia]
    contracted = set(sub_b) & set(sub_a)
    out_sub = [s for s in sub_a if s not in contracted] + [s for s in sub_b if s not in contracted]
    _same_scalar_type(x, y)
    res = _einsum([a, b], [sub_a, sub_b], out_sub)
    return res if out is None else _out(res, out)


def _same_scalar_type(x, y):
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(x)} but found {_legacy(y)}")


def inner(input, other, *, out=None):
    x, y = input._data, other._data
    if not x.ndim or not y.ndim:
        res = input * other
    else:
        if x.shape[-1] != y.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                               f"{list(x.shape)} and {list(y.shape)}")
        _same_scalar_type(x, y)
        sub_x = list(range(x.ndim))
        sub_y = list(range(x.ndim, x.ndim + y.ndim - 1)) + [x.ndim - 1]
        res = _einsum([input, other], [sub_x, sub_y], sub_x[:-1] + sub_y[:-1])
    return res if out is None else _out(res, out)


def kron(input, other, *, out=None):
    x, y = input._data, other._data
    n = max(x.ndim, y.ndim)
    a = input.reshape((1,) * (n - x.ndim) + x.shape) if x.ndim < n else input
    b = other.reshape((1,) * (n - y.ndim) + y.shape) if y.ndim < n else other
    sa, sb = a._data.shape, b._data.shape
    interleaved = [d for i in range(n) for d in (i, n + i)]
    res = _einsum([a, b], [list(range(n)), list(range(n, 2 * n))], interleaved)
    res = res.reshape(tuple(p * q for p, q in zip(sa, sb)))
    return res if out is None else _out(res, out)


class LinalgCrossBackward0(Node):
    def backward(self, g, a, b):
        d = self.dim
        return (_cross(b, g, d) if self._next[0] is not None else None,
                _cross(g, a, d) if self._next[1] is not None else None)


def _cross(a, b, dim):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a = a if isinstance(a, Tensor) else wrap(a)
        b = b if isinstance(b, Tensor) else wrap(b)
        return record(LinalgCrossBackward0, np.cross(a._data, b._data, axis=dim), (a, b), (a, b), {"dim": dim})
    return np.cross(a, b, axis=dim)


def linalg_cross(input, other, *, dim=-1, out=None):
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, x.ndim) - x.ndim
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {x.shape[d]} and "
                           f"{y.shape[d]}")
    _same_scalar_type(x, y)
    res = _cross(input, other, d)
    return res if out is None else _out(res, out)


def cross(input, other, dim=None, *, out=None):
    if dim is None:
        sizes = np.broadcast_shapes(input._data.shape, other._data.shape)
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return linalg_cross(input, other, dim=dim, out=out)


# -- inv, det, solve, cholesky -------------------------------------------------------------------


def _square(x, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_legacy(x)}")
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")


def _failing_batch(x, bad):
    """torch's '(Batch element k): ' prefix for the first bad matrix of a batch."""
    if x.ndim == 2:
        return ""
    flat = bad.reshape(-1)
    return f"(Batch element {int(np.argmax(flat))}): "


class LinalgInvExBackward0(Node):
    def backward(self, g, inv):
        inv_t = _t(inv)
        return -(inv_t @ (g @ inv_t)),


def _inv(a):
    """inverse of an array or a Tensor (the one rules use)."""
    if isinstance(a, Tensor):
        return linalg_inv(a)
    return np.linalg.inv(a)


def linalg_inv(A, *, out=None):
    x = A._data
    _square(x, "linalg.inv")
    try:
        data = np.linalg.inv(x)
    except np.linalg.LinAlgError:
        bad = np.linalg.det(x) == 0
        first = x.reshape(-1, *x.shape[-2:])[int(np.argmax(bad.reshape(-1)))]
        k = int(np.linalg.matrix_rank(first)) + 1   # LAPACK's zero pivot, for the common rank-deficient case
        raise LinAlgError(f"linalg.inv: {_failing_batch(x, bad)}The diagonal element {k} is zero, "
                          f"the inversion could not be completed because the input matrix is singular.") from None
    res = record(LinalgInvExBackward0, data, (A,), (OUT,))
    return res if out is None else _out(res, out)


def inverse(input, *, out=None):
    return linalg_inv(input, out=out)


class LinalgDetBackward0(Node):
    """g * det(A) * A^-T. At a singular A, torch's first-order grad is det (0) times a finite matrix."""

    def backward(self, g, a, det):
        if (dual.data(det) != 0).all():
            return _as_matrices(g * det) * _t(_inv(a)),
        if isinstance(a, Tensor):
            raise NotImplementedError("the second derivative of det() at a singular matrix is not supported by "
                                      "numtorch")
        return _as_matrices(g * det) * _t(np.linalg.pinv(a)),


def _as_matrices(t):
    """(...) -> (..., 1, 1): a per-matrix value that broadcasts over its matrix."""
    return dual.unsqueeze(dual.unsqueeze(t, -1), -1)


def det(input):
    x = input._data
    _square(x, "linalg.det")
    return record(LinalgDetBackward0, np.asarray(np.linalg.det(x), x.dtype), (input,), (input, OUT))


class LinalgSolveExBackward0(Node):
    def backward(self, g, a, x):
        gb = _solve(_t(a), g, self.vector)
        ga = None
        if self._next[0] is not None:
            ga = -(dual.unsqueeze(gb, -1) * dual.unsqueeze(x, -2)) if self.vector else -(gb @ _t(x))
        return ga, (gb if self._next[1] is not None else None)


def _solve(a, b, vector):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a = a if isinstance(a, Tensor) else wrap(a)
        b = b if isinstance(b, Tensor) else wrap(b)
        return record(LinalgSolveExBackward0, _solve_array(a._data, b._data, vector), (a, b), (a, OUT),
                      {"vector": vector})
    return _solve_array(a, b, vector)


def _solve_array(a, b, vector):
    try:
        if vector:
            return np.linalg.solve(a, b[..., None])[..., 0]
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        bad = np.linalg.det(a) == 0
        raise LinAlgError(f"torch.linalg.solve: {_failing_batch(a, bad)}The solver failed because the "
                          f"input matrix is singular.") from None


def linalg_solve(A, B, *, left=True, out=None):
    x, y = A._data, B._data
    _square(x, "linalg.solve")
    _same_scalar_type(x, y)
    if not left:   # X A = B  <=>  A^T X^T = B^T
        return linalg_solve(A.transpose(-1, -2), B.transpose(-1, -2), out=out).transpose(-1, -2)
    vector = y.ndim == 1 or (y.ndim == x.ndim - 1 and y.shape == x.shape[:-1])
    rows, cols = (y.shape[-1], 1) if vector else y.shape[-2:]
    if rows != x.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({x.shape[-2]}x{x.shape[-1]} and {rows}x{cols})")
    res = _solve(A, B, vector)
    return res if out is None else _out(res, out)


class LinalgCholeskyExBackward0(Node):
    def backward(self, g, factor):
        if self.upper:
            g, factor = _t(g), _t(factor)
        n = dual.data(factor).shape[-1]
        phi = _mask(np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n), g)   # lower part, halved diagonal
        linv = _inv(factor)
        s = _t(linv) @ (((_t(factor) @ g) * phi) @ linv)
        return (s + _t(s)) * 0.5,


def linalg_cholesky(A, *, upper=False, out=None):
    x = A._data
    _square(x, "linalg.cholesky")
    try:
        data = np.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        raise _not_positive_definite(x) from None
    if upper:
        data = np.swapaxes(data, -1, -2).copy()
    res = record(LinalgCholeskyExBackward0, data, (A,), (OUT,), {"upper": upper})
    return res if out is None else _out(res, out)


def _not_positive_definite(x):
    mats = x.reshape(-1, *x.shape[-2:])
    for b, m in enumerate(mats):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                prefix = f"(Batch element {b}): " if x.ndim > 2 else ""
                return LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be completed because the "
                                   f"input is not positive-definite (the leading minor of order {k} is not "
                                   f"positive-definite).")
    return LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                       "positive-definite.")


# -- norms ------------------------------------------------------------------------------------------


class LinalgVectorNormBackward0(Node):
    def backward(self, g, x, norm):
        p, dims, keepdim = self.ord, self.dims, self.keepdim
        if p == 0:
            return None,
        g, norm = restore_dims(g, dims, keepdim), restore_dims(norm, dims, keepdim)
        sgn = dual.sign(x)
        if p == 1:
            return sgn * g,
        if p == 2:
            return x * _safe_div(g, norm),
        xd = dual.data(x)
        if math.isinf(p):
            hit = _mask(np.abs(xd) == dual.data(norm), g)
            return sgn * (g / np.sum(hit, axis=dims, keepdims=True) * hit),
        size = dual.abs(x)
        if p < 1:
            nonzero = xd != 0
            scaled = (size + _mask(~nonzero, g)) ** (p - 1) * _mask(nonzero, g)
            return sgn * scaled * g * norm ** (1 - p),
        if p < 2:
            return sgn * size ** (p - 1) * _safe_div(g, norm ** (p - 1)),
        return x * size ** (p - 2) * _safe_div(g, norm ** (p - 1)),


def _ord_name(ord) -> str:
    if math.isinf(ord):
        return "inf" if ord > 0 else "-inf"
    return str(int(ord)) if float(ord).is_integer() else str(ord)


def _norm_input(x, dtype, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_legacy(x)}")
    if dtype is None:
        return x
    target = _dtype.from_any(dtype).np
    if np.dtype(target).kind != "f" or np.promote_types(x.dtype, target) != target:
        raise RuntimeError(f"{name}: the dtype of the input ({_legacy(x)}) should be convertible without narrowing "
                           f"to the specified dtype ({_legacy(np.empty(0, target))})")
    return x.astype(target)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not str")
    a = _norm_input(x._data, dtype, "linalg.vector_norm")
    axis = _axes(a, dim)
    p = float(ord)
    if p < 0 or math.isinf(p):
        _no_identity(a, axis, p)
    data = _vector_norm_array(a, p, axis, keepdim)
    res = record(LinalgVectorNormBackward0, data, (x,), (x, OUT), {"ord": p, "dims": axis, "keepdim": keepdim})
    return res if out is None else _out(res, out)


def _no_identity(a, axis, p):
    if axis is None and a.size == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_name(p)} norm on an empty tensor because "
                           f"the operation does not have an identity")
    for d in axis or ():
        if a.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_name(p)} norm on the dimension {d}"
                               f"because this dimension is empty and the operation does not have an identity")


def _vector_norm_array(a, p, axis, keepdim):
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
    size = np.abs(a)
    if p == 1:
        return np.sum(size, axis=axis, keepdims=keepdim)
    if p == math.inf:
        return np.amax(size, axis=axis, keepdims=keepdim)
    if p == -math.inf:
        return np.amin(size, axis=axis, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdim, dtype=a.dtype)
    return np.sum(size ** p, axis=axis, keepdims=keepdim) ** (1 / p)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _norm_input(x, dtype, "linalg.matrix_norm")
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = _wrap_dim(dim[0], x.ndim), _wrap_dim(dim[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        res = vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    elif ord == "nuc" or ord in (2, -2):
        res = _singular_norm(A, ord, d0, d1, keepdim, dtype)
    elif ord in (1, -1, math.inf, -math.inf):
        if ord in (math.inf, -math.inf):
            d0, d1 = d1, d0
        sums = vector_norm(A, 1, d0, keepdim, dtype=dtype)
        res = (amax if ord > 0 else amin)(sums, d1 - 1 if not keepdim and d0 < d1 else d1, keepdim)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return res if out is None else _out(res, out)


def _singular_norm(A, ord, d0, d1, keepdim, dtype):
    if dtype is not None:
        A = A.to(dtype)
    moved = A.permute([d for d in range(A._data.ndim) if d not in (d0, d1)] + [d0, d1])
    from .decomp import svdvals   # decomp builds on this module
    s = svdvals(moved)
    res = _sum(s, -1) if ord == "nuc" else (amax if ord > 0 else amin)(s, -1)
    if keepdim:
        for d in sorted((d0, d1)):
            res = res.unsqueeze(d)
    return res


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    x = A._data
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if ord is None:
        res = vector_norm(A, 2, dim, keepdim, dtype=dtype)
    else:
        if dim is None:
            if x.ndim not in (1, 2):
                raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                                   f"Got {x.ndim}D.")
            dim = tuple(range(x.ndim))
        if len(dim) == 1:
            res = vector_norm(A, ord, dim, keepdim, dtype=dtype)
        else:
            res = matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return res if out is None else _out(res, out)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: the Frobenius and p-norms are vector norms; 'nuc' (and 'fro' over > 2 dims) matrix norms."""
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if isinstance(p, str):
        if p == "fro" and (dim is None or len(dim) <= 2):
            res = vector_norm(input, 2, dim, keepdim, dtype=dtype)
        else:
            res = matrix_norm(input, p, dim if dim is not None else tuple(range(input._data.ndim)), keepdim,
                              dtype=dtype)
    else:
        res = vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype=dtype)
    return res if out is None else _out(res, out)


# -- Tensor methods --------------------------------------------------------------------------------


def _rmatmul(self, other):
    return matmul(other, self) if isinstance(other, Tensor) else NotImplemented


def _matmul_op(self, other):
    return matmul(self, other) if isinstance(other, Tensor) else NotImplemented


def _inplace_add_product(fn):
    def method(self, m1, m2, *, beta=1, alpha=1):
        return inplace(self, fn, (m1, m2), {"beta": beta, "alpha": alpha})
    method.__name__ = fn.__name__ + "_"
    return method


bind_methods(
    matmul=matmul, __matmul__=_matmul_op, __rmatmul__=_rmatmul, mm=mm, bmm=bmm, mv=mv, dot=dot, vdot=vdot,
    inner=inner, outer=outer, ger=ger, kron=kron, cross=cross, det=det, inverse=inverse, norm=norm,
    addmm=addmm, addmv=addmv, baddbmm=baddbmm, addbmm=addbmm, addr=addr,
    addmm_=_inplace_add_product(addmm), addmv_=_inplace_add_product(addmv),
    baddbmm_=_inplace_add_product(baddbmm), addbmm_=_inplace_add_product(addbmm), addr_=_inplace_add_product(addr),
)
