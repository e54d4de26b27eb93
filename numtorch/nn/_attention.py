"""scaled_dot_product_attention and multi_head_attention_forward, composed of numtorch ops.

Masks are constants, so they are applied with masked_fill (no gradient flows into masked
scores); a float attn_mask is added as a tensor, like torch's math path, so it can carry a
gradient. Rows whose every key is masked give zeros in scaled_dot_product_attention (torch's
CPU kernels do the same) and NaN in the need_weights path of multi-head attention (torch's
softmax there is a plain one).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._ops.shape import cat
from .._tensor import Tensor, wrap

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
        "bool": "bool", "uint8": "unsigned char"}


def _cpp(t: Tensor) -> str:
    return _CPP.get(t._data.dtype.name, t._data.dtype.name)


def _check_sdpa(query: Tensor, key: Tensor, value: Tensor, attn_mask) -> None:
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if not query._data.dtype == key._data.dtype == value._data.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_cpp(query)} key.dtype: {_cpp(key)} and value.dtype: {_cpp(value)} instead.")
    if attn_mask is not None and attn_mask._data.dtype.kind != "b" and attn_mask._data.dtype != query._data.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_cpp(attn_mask)} and  query.dtype: {_cpp(query)} instead.")


def _repeat_heads(query: Tensor, t: Tensor) -> Tensor:
    """Grouped-query attention: each key/value head serves query_heads / kv_heads query heads."""
    hq, hk = query.shape[-3], t.shape[-3]
    if hq == hk:
        return t
    if hk == 0 or hq % hk:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return t.repeat_interleave(hq // hk, -3)


def _bmm_check(query: Tensor, key: Tensor, value: Tensor) -> None:
    """torch's messages for q/k and weights/v whose inner sizes disagree."""
    if key.shape[-1] != query.shape[-1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{math.prod(query.shape[:-2])}, {query.shape[-1]}] but got: "
                           f"[{math.prod(key.shape[:-2])}, {key.shape[-1]}].")
    if value.shape[-2] != key.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{math.prod(query.shape[:-2])}, {key.shape[-2]}] but got: "
                           f"[{math.prod(value.shape[:-2])}, {value.shape[-2]}].")


def _fused_kernel_applies(query, key, value, dropout_p, enable_gqa) -> bool:
    """Whether torch's CPU flash kernel takes these inputs; only it accepts attn_mask together with
    is_causal (its math fallback refuses the pair)."""
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4 or dropout_p > 0.0:
        return False
    if not query.shape[-1] == key.shape[-1] == value.shape[-1]:
        return False
    if not query.shape[0] == key.shape[0] == value.shape[0]:
        return False
    heads = query.shape[1], key.shape[1], value.shape[1]
    return heads[0] == heads[1] == heads[2] or (enable_gqa and heads[1] and heads[2] and not heads[0] % heads[1]
                                                and not heads[0] % heads[2])


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim; rows with no finite score (every key masked) give zeros."""
    empty = np.all(np.isneginf(scores._data), -1, keepdims=True)
    if not empty.any():
        return scores.softmax(-1)
    rows = wrap(empty)
    return scores.masked_fill(rows, 0.0).softmax(-1).masked_fill(rows, 0.0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v. A bool mask marks the keys each query may attend to;
    is_causal keeps keys at or before the query's position (both may be given: they combine)."""
    _check_sdpa(query, key, value, attn_mask)
    if is_causal and attn_mask is not None and not _fused_kernel_applies(query, key, value, dropout_p, enable_gqa):
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3:
        key, value = _repeat_heads(query, key), _repeat_heads(query, value)
    _bmm_check(query, key, value)
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * factor
    blocked = None
    if is_causal:
        n_q, n_k = query.shape[-2], key.shape[-2]
        blocked = ~np.tril(np.ones((n_q, n_k), bool))
    if attn_mask is not None and attn_mask._data.dtype.kind == "b":
        blocked = ~attn_mask._data if blocked is None else blocked | ~attn_mask._data
    if blocked is not None:
        scores = scores.masked_fill(wrap(blocked), float("-inf"))
    if attn_mask is not None and attn_mask._data.dtype.kind != "b":
        scores = scores + attn_mask
    attn = _safe_softmax(scores)
    if dropout_p > 0.0:
        from .functional import dropout
        attn = dropout(attn, dropout_p, True)
    return attn @ value


# ======================================================================================
# multi-head attention
# ======================================================================================

def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name: str, other_type, other_name: str, target_type, check_other: bool = True):
    """A bool mask (True = masked out) as an additive float mask of target_type; float masks pass."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if kind == "b":
        np_dt = target_type.np
        return wrap(np.where(mask._data, np.asarray(-np.inf, np_dt), np.zeros((), np_dt)))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the inputs are batched (3-D), after torch's rank checks."""
    nd = query.dim()
    if nd in (2, 3):
        which = f"{'batched' if nd == 3 else 'unbatched'} ({nd}-D) `query`"
        if key.dim() != nd or value.dim() != nd:
            raise AssertionError(f"For {which}, expected `key` and `value` to be {nd}-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != nd - 1:
            raise AssertionError(f"For {which}, expected `key_padding_mask` to be `None` or {nd - 1}-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {which}, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        if nd == 2 and attn_mask is not None and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return nd == 3
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         "tensor")


def _linear(x, w, b):
    from .functional import linear
    return linear(x, w, b)


def _split_heads(proj: Tensor, n: int):
    """The n projections packed along the last dim of proj, as separate tensors."""
    e = proj.shape[-1] // n
    return tuple(proj[..., i * e:(i + 1) * e] for i in range(n))


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v projected with the packed weight (3E, E): one matmul when q, k, v are one tensor."""
    e = q.shape[-1]
    if k is v:
        if q is k:
            return _split_heads(_linear(q, w, b), 3)
        b_q, b_kv = (None, None) if b is None else (b[:e], b[e:])
        return (_linear(q, w[:e], b_q), *_split_heads(_linear(k, w[e:], b_kv), 2))
    b_q, b_k, b_v = (None, None, None) if b is None else _split_heads(b, 3)
    return _linear(q, w[:e], b_q), _linear(k, w[e:2 * e], b_k), _linear(v, w[2 * e:], b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for what, t, shape in (("query weights", w_q, (eq, eq)), ("key weights", w_k, (eq, ek)),
                           ("value weights", w_v, (eq, ev)), ("query bias", b_q, (eq,)), ("key bias", b_k, (eq,)),
                           ("value bias", b_v, (eq,))):
        if t is not None and tuple(t.shape) != shape:
            raise AssertionError(f"expecting {what} shape of {shape}, but got {t.shape}")
    return _linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)


def _pad_last(mask: Tensor) -> Tensor:
    """mask with one zero column appended (the extra key of add_bias_kv / add_zero_attn)."""
    return cat([mask, mask.new_zeros(tuple(mask.shape[:-1]) + (1,))], -1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight, out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True, is_causal: bool = False):
    """torch.nn.functional.multi_head_attention_forward: (L, N, E) inputs (or unbatched (L, E))."""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask),
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None   # scaled_dot_product_attention builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else _split_heads(in_proj_bias, 3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "static_k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "static_v")
    if add_zero_attn:
        shape = (bsz * num_heads, 1, head_dim)
        k = cat([k, k.new_zeros(shape)], 1)
        v = cat([v, v.new_zeros(shape)], 1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        from .._ops.linalg import baddbmm, bmm
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        kt = k.transpose(-2, -1)
        weights = bmm(q_scaled, kt) if attn_mask is None else baddbmm(attn_mask, q_scaled, kt)
        weights = weights.softmax(-1)
        if dropout_p > 0.0:
            from .functional import dropout
            weights = dropout(weights, dropout_p)
        out = bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None


def _heads(t: Tensor, static, bsz: int, num_heads: int, head_dim: int, name: str) -> Tensor:
    """(S, N, E) -> (N * heads, S, head_dim), or the given static keys/values after torch's checks."""
    if static is None:
        return t.reshape(t.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static
