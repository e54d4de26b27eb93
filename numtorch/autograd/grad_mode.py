"""Grad modes: whether ops record a graph. Thread-local, like torch's.

`_state.enabled` is read by every op on the hot path, so it is a plain
attribute of a threading.local rather than anything with a call behind it.
Each mode is a context manager and a decorator (of functions and
generators: a generator runs under the mode only while it executes, not while
it is suspended at a `yield`).
"""
from __future__ import annotations

import functools
import inspect
import sys
import threading
import warnings

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "set_multithreading_enabled",
           "enforce_grad_layout_policy", "is_grad_enabled", "is_inference_mode_enabled",
           "is_multithreading_enabled"]


class _State(threading.local):
    enabled = True
    inference = False
    multithreading = True
    grad_layout = True


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


def is_multithreading_enabled() -> bool:
    return _state.multithreading


class _GradModeContext:
    """Context manager and decorator; a subclass defines __enter__/__exit__ and clone()."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should "
                          "only decorate functions or methods. To preserve the current behavior of class "
                          "decoration, you can directly decorate the `__init__` method and nothing else.",
                          FutureWarning, stacklevel=2)
            cls = fn
            fn = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(self.clone, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


def _wrap_generator(make_ctx, fn):
    """Each step of the generator runs under a fresh context; the caller's code between steps does not."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with make_ctx():
                value = gen.send(None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    with make_ctx():
                        gen.close()
                    raise
                except BaseException:
                    with make_ctx():
                        value = gen.throw(*sys.exc_info())
                else:
                    with make_ctx():
                        value = gen.send(sent)
        except StopIteration as stop:
            return stop.value
    return wrapper


class no_grad(_GradModeContext):
    """Disable recording: results of ops do not require grad. `@no_grad` and `@no_grad()` both work."""

    _mode = False

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None:
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        pass

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev


class enable_grad(no_grad):
    """Re-enable recording inside a no_grad block."""

    _mode = True


class _SetFlag(_GradModeContext):
    """Sets a thread-local flag when made (so a plain call works) and restores it on exit.

    As a decorator it changes the flag only while the decorated function runs.
    """

    _flag = ""

    def __init__(self, mode: bool):
        self.prev = getattr(_state, self._flag)
        self.mode = bool(mode)
        setattr(_state, self._flag, self.mode)

    def __call__(self, fn):
        setattr(_state, self._flag, self.prev)
        return super().__call__(fn)

    def __enter__(self):
        setattr(_state, self._flag, self.mode)

    def __exit__(self, *exc):
        setattr(_state, self._flag, self.prev)

    def clone(self):
        return type(self)(self.mode)


class set_grad_enabled(_SetFlag):
    """Set grad mode to `mode`; takes effect immediately, also a context manager and decorator."""

    _flag = "enabled"

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}(mode={self.mode})"


class inference_mode(_GradModeContext):
    """Like no_grad (numtorch has no separate inference tensors). `@inference_mode` works bare too."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (_state.enabled, _state.inference)
        _state.enabled, _state.inference = not self.mode, self.mode   # inference_mode(False) enables grad

    def __exit__(self, *exc):
        _state.enabled, _state.inference = self._prev

    def clone(self):
        return type(self)(self.mode)


class set_multithreading_enabled(_SetFlag):
    """Accepted for compatibility: numtorch's backward always runs on the calling thread."""

    _flag = "multithreading"


class enforce_grad_layout_policy(_SetFlag):
    """Accepted for compatibility: numtorch's gradients always have their parameter's layout."""

    _flag = "grad_layout"

    def __init__(self, enable: bool = True):
        super().__init__(enable)
