"""torch.* constants, recorded-only switches and torch.backends flags: same values, validation
errors and read-back as torch (numtorch records them; they change no result)."""
import warnings

import pytest
import torch

import numtorch


def test_constants():
    for name in ("pi", "e", "inf", "newaxis"):
        assert getattr(numtorch, name) == getattr(torch, name)
    assert numtorch.nan != numtorch.nan
    assert numtorch.zeros(3)[numtorch.newaxis].shape == (1, 3)


@pytest.fixture
def restore():
    from numtorch import _settings
    saved = dict(_settings._state)
    yield
    _settings._state.update(saved)


@pytest.mark.parametrize("call", [lambda m: m.set_num_threads(0), lambda m: m.set_num_threads(-1),
                                  lambda m: m.set_num_threads(2.0), lambda m: m.set_num_interop_threads(0),
                                  lambda m: m.set_deterministic_debug_mode("x"),
                                  lambda m: m.set_deterministic_debug_mode(5)])
def test_validation_errors(call, restore):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(numtorch)
    assert str(ours.value).split("(")[0] == str(theirs.value).split("(")[0] or type(ours.value) is TypeError


def test_deterministic_mode_must_be_bool(restore):
    # torch: TypeError "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not int"
    with pytest.raises(TypeError, match="must be bool, not int"):
        numtorch.use_deterministic_algorithms(1)


def test_read_back(restore):
    numtorch.set_num_threads(3)
    assert numtorch.get_num_threads() == 3
    numtorch.set_num_interop_threads(2)
    assert numtorch.get_num_interop_threads() == 2
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        numtorch.set_num_interop_threads(2)
    assert not numtorch.are_deterministic_algorithms_enabled()
    numtorch.use_deterministic_algorithms(True, warn_only=True)
    assert numtorch.are_deterministic_algorithms_enabled() and numtorch.is_deterministic_algorithms_warn_only_enabled()
    assert numtorch.get_deterministic_debug_mode() == 1
    numtorch.set_deterministic_debug_mode("error")
    assert numtorch.get_deterministic_debug_mode() == 2
    assert numtorch.get_float32_matmul_precision() == "highest"
    numtorch.set_float32_matmul_precision("high")
    assert numtorch.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="not one of 'highest', 'high', or 'medium'"):
        numtorch.set_float32_matmul_precision("x")
    assert numtorch.get_float32_matmul_precision() == "high"
    numtorch.set_warn_always(True)
    assert numtorch.is_warn_always_enabled()
    assert numtorch.set_flush_denormal(True) is False


@pytest.mark.parametrize("obj", [3, "a", len, None, 1.5])
def test_typename(obj):
    assert numtorch.typename(obj) == torch.typename(obj)


def test_typename_tensors_and_classes():
    assert numtorch.typename(numtorch.zeros(1, dtype=numtorch.int64)) == "torch.LongTensor"
    assert numtorch.typename(numtorch.float32) == "numtorch._dtype.dtype" or \
        numtorch.typename(numtorch.float32).endswith("dtype")
    assert numtorch.typename(numtorch.nn.Linear) == "numtorch.nn.modules.linear.Linear"


def test_compile_returns_the_callable():
    model = numtorch.nn.Linear(2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert numtorch.compile(model) is model

        @numtorch.compile(mode="max-autotune")
        def f(x):
            return x + 1
    assert f(numtorch.ones(1)).item() == 2.0
    assert numtorch.compile()(f) is f


def test_backends_flags():
    b = numtorch.backends
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(b.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    old = b.cudnn.deterministic, b.cudnn.benchmark
    try:
        b.cudnn.deterministic, b.cudnn.benchmark = True, False
        assert b.cudnn.deterministic is True and b.cudnn.benchmark is False
        with b.cudnn.flags(enabled=False, deterministic=False):
            assert b.cudnn.enabled is False and b.cudnn.deterministic is False
        assert b.cudnn.enabled is True and b.cudnn.deterministic is True
    finally:
        b.cudnn.deterministic, b.cudnn.benchmark = old
    assert not b.cudnn.is_available() and not b.mps.is_available() and not b.mps.is_built()
    assert b.mkldnn.enabled is True
    b.cuda.matmul.allow_tf32 = True
    assert b.cuda.matmul.allow_tf32 is True
    b.cuda.matmul.allow_tf32 = False
