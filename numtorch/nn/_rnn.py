"""Recurrent cells and multi-layer recurrences (RNN tanh/relu, LSTM with optional projection, GRU).

Everything here is composed of numtorch ops, so autograd (first and higher order) comes for
free. The time loop is the only Python-level loop: each layer and direction projects its whole
input sequence in one matmul, and each step adds one matmul of the hidden state. A packed batch
(PackedSequence data) runs the same loop with fewer rows at later steps. Gate order and
arithmetic follow torch's CPU kernels (LSTM gates i, f, g, o; GRU gates r, z, n with
n = tanh(x_n + r * (W_hn h + b_hn)) and h' = (h - n) * z + n).
"""
from __future__ import annotations

from .._ops.shape import cat, split, stack
from .._tensor import Tensor

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    from .functional import linear
    return linear(x, w, b)


# -- one step, given the input projection gi = W_ih x + b_ih ------------------------------------

def _tanh_step(gi, h, w_hh, b_hh):
    return (gi + _linear(h, w_hh, b_hh)).tanh()


def _relu_step(gi, h, w_hh, b_hh):
    return (gi + _linear(h, w_hh, b_hh)).relu()


def _lstm_step(gi, h, c, w_hh, b_hh, w_hr=None):
    gates = _linear(h, w_hh, b_hh) + gi
    n = gates.shape[-1] // 4
    i = gates[..., :n].sigmoid()
    f = gates[..., n:2 * n].sigmoid()
    g = gates[..., 2 * n:3 * n].tanh()
    o = gates[..., 3 * n:].sigmoid()
    c = f * c + i * g
    h = o * c.tanh()
    return (h if w_hr is None else h @ w_hr.t()), c


def _gru_step(gi, h, w_hh, b_hh):
    gh = _linear(h, w_hh, b_hh)
    n = gh.shape[-1] // 3
    rz = (gh[..., :2 * n] + gi[..., :2 * n]).sigmoid()
    r, z = rz[..., :n], rz[..., n:]
    new = (gi[..., 2 * n:] + gh[..., 2 * n:] * r).tanh()
    return (h - new) * z + new


# -- cells (torch._VF.*_cell) -------------------------------------------------------------------

def _check_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, label: int) -> None:
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}")
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{label} batch size "
                           f"{hx.shape[0]}")
    if hx.shape[1] != w_hh.shape[1]:
        raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got {hx.shape[1]}, expected "
                           f"{w_hh.shape[1]}")


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    _check_cell(input, hx, w_ih, w_hh, 0)
    return _tanh_step(_linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    _check_cell(input, hx, w_ih, w_hh, 0)
    return _relu_step(_linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    h, c = hx
    _check_cell(input, h, w_ih, w_hh, 0)
    _check_cell(input, c, w_ih, w_hh, 1)
    return _lstm_step(_linear(input, w_ih, b_ih), h, c, w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    _check_cell(input, hx, w_ih, w_hh, 0)
    return _gru_step(_linear(input, w_ih, b_ih), hx, w_hh, b_hh)


# -- whole sequences (torch._VF.rnn_tanh / rnn_relu / lstm / gru) ---------------------------------

def _advance(mode, weights, has_biases):
    """(input projection weights, one step: (gi, state) -> state), the state being (h,) or (h, c)."""
    w_ih, w_hh = weights[0], weights[1]
    b_ih, b_hh = (weights[2], weights[3]) if has_biases else (None, None)
    if mode == "LSTM":
        w_hr = weights[-1] if len(weights) == (5 if has_biases else 3) else None
        return (w_ih, b_ih), lambda gi, s: _lstm_step(gi, s[0], s[1], w_hh, b_hh, w_hr)
    step = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "GRU": _gru_step}[mode]
    return (w_ih, b_ih), lambda gi, s: (step(gi, s[0], w_hh, b_hh),)


def _direction(advance, steps, state, reverse):
    """Run one layer in one direction over the per-step input projections `steps`.

    A packed batch has fewer rows at later steps (sequences sorted longest first): going
    forward, the rows of the sequences that have ended are set aside as their final state;
    going backward, each sequence starts from its row of the initial state when it joins.
    Returns (per-step outputs, final state in batch order).
    """
    n = len(steps)
    outs = [None] * n
    if reverse:
        init, rows = state, steps[-1].shape[0]
        state = tuple(s[:rows] for s in init) if rows < init[0].shape[0] else init
        for t in range(n - 1, -1, -1):
            size = steps[t].shape[0]
            if size > rows:
                state = tuple(cat([s, i[rows:size]], 0) for s, i in zip(state, init))
                rows = size
            state = advance(steps[t], state)
            outs[t] = state[0]
        return outs, state
    ended = []
    for t in range(n):
        size = steps[t].shape[0]
        if size < state[0].shape[0]:
            ended.append(tuple(s[size:] for s in state))
            state = tuple(s[:size] for s in state)
        state = advance(steps[t], state)
        outs[t] = state[0]
    if ended:
        state = tuple(cat(parts, 0) for parts in zip(state, *reversed(ended)))
    return outs, state


def rnn(mode: str, input: Tensor, hx, weights, has_biases: bool, num_layers: int, dropout: float, train: bool,
        bidirectional: bool, batch_first: bool, batch_sizes=None):
    """A multi-layer recurrence over a time-major (or batch-first) batch or, given `batch_sizes`,
    over the data of a packed batch (rows in packed order; batch_first is then ignored).

    `hx` is h0 (L*D, B, H) or, for LSTM, (h0, c0); `weights` is the flat list torch keeps
    (per layer and direction: w_ih, w_hh[, b_ih, b_hh][, w_hr]). Returns (output, h_n) or, for
    LSTM, (output, h_n, c_n); a packed output is the packed data.
    """
    from .functional import dropout as dropout_fn
    lstm = mode == "LSTM"
    h0, c0 = hx if lstm else (hx, None)
    dirs = 2 if bidirectional else 1
    per = len(weights) // (num_layers * dirs)
    packed = batch_sizes is not None
    x = input.transpose(0, 1) if batch_first and not packed else input
    if x.shape[0] == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    sizes = [int(s) for s in batch_sizes._data] if packed else None
    finals = []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            (w_ih, b_ih), advance = _advance(mode, weights[k * per:(k + 1) * per], has_biases)
            gi = _linear(x, w_ih, b_ih)
            steps = split(gi, sizes, 0) if packed else gi.unbind(0)
            state = (h0[k], c0[k]) if lstm else (h0[k],)
            out, state = _direction(advance, steps, state, d == 1)
            outs.append(cat(out, 0) if packed else stack(out, 0))
            finals.append(state)
        x = outs[0] if dirs == 1 else cat(outs, -1)
        if dropout and train and layer < num_layers - 1:
            x = dropout_fn(x, dropout, True)
    output = x.transpose(0, 1) if batch_first and not packed else x
    h_n = stack([s[0] for s in finals], 0)
    return (output, h_n, stack([s[1] for s in finals], 0)) if lstm else (output, h_n)
