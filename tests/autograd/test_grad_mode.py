"""Grad modes against torch: context managers, decorators (functions, generators, classes), threads."""
import threading

import pytest

from tests.autograd._both import assert_same, raised, registry, warned

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


@scenario
def nested_context_managers(m):
    x = m.ones(2, requires_grad=True)
    out = []
    with m.no_grad():
        out += [(x * 2).requires_grad, m.is_grad_enabled()]
        with m.enable_grad():
            out.append((x * 2).requires_grad)
            with m.set_grad_enabled(False):
                out.append((x * 2).requires_grad)
            out.append(m.is_grad_enabled())
        out.append(m.is_grad_enabled())
    out.append(m.is_grad_enabled())
    m.set_grad_enabled(False)
    out.append(m.is_grad_enabled())
    m.set_grad_enabled(True)
    out.append(m.is_grad_enabled())
    try:
        with m.no_grad():
            raise ValueError
    except ValueError:
        pass
    out.append(m.is_grad_enabled())
    return out


@scenario
def inference_mode(m):
    x = m.ones(2, requires_grad=True)
    out = []
    with m.inference_mode():
        out.append((m.is_grad_enabled(), m.is_inference_mode_enabled(), (x * 2).requires_grad))
        with m.inference_mode(False):
            out.append((m.is_grad_enabled(), m.is_inference_mode_enabled()))
    out.append((m.is_grad_enabled(), m.is_inference_mode_enabled()))
    return out


@scenario
def decorators(m):
    x = m.ones(2, requires_grad=True)

    @m.no_grad()
    def f1():
        return (x * 2).requires_grad, m.is_grad_enabled()

    @m.no_grad
    def f2():
        return (x * 2).requires_grad

    @m.enable_grad()
    def f3():
        return m.is_grad_enabled()

    @m.enable_grad
    def f4():
        return m.is_grad_enabled()

    @m.set_grad_enabled(False)
    def f5():
        return m.is_grad_enabled()
    out = [m.is_grad_enabled()]    # set_grad_enabled as a decorator leaves the mode alone

    @m.inference_mode()
    def f6():
        return m.is_grad_enabled(), m.is_inference_mode_enabled()

    @m.inference_mode
    def f7():
        return m.is_grad_enabled()
    out += [f1(), f2(), f5(), f6(), f7(), m.is_grad_enabled()]
    with m.no_grad():
        out += [f3(), f4(), m.is_grad_enabled()]
    out += [f1.__name__, f5.__name__]
    return out


@scenario
def generator_decorator(m):
    log = []

    @m.no_grad()
    def gen():
        for i in range(3):
            log.append(("inside", m.is_grad_enabled()))
            sent = yield i
            log.append(("sent", sent))
        return "done"
    g = gen()
    log.append(next(g))
    log.append(("caller between steps", m.is_grad_enabled()))
    log.append(g.send("a"))
    log.append(g.send("b"))
    try:
        g.send("c")
    except StopIteration as stop:
        log.append(("stop", stop.value))

    @m.no_grad()
    def gen2():
        try:
            yield 1
        except KeyError:
            log.append(("caught", m.is_grad_enabled()))
            yield 2
    g2 = gen2()
    next(g2)
    log.append(g2.throw(KeyError()))
    g2.close()
    log.append(m.is_grad_enabled())
    return log


@scenario
def class_decorator_warns(m):
    def decorate():
        @m.no_grad()
        class C:
            def __init__(self):
                self.enabled = m.is_grad_enabled()
        return C().enabled
    value, caught = warned(decorate)
    return [value, [c for c, _ in caught]]


@scenario
def grad_mode_is_thread_local(m):
    seen = {}

    def worker():
        seen["thread sees"] = m.is_grad_enabled()
        seen["thread records"] = (m.ones(2, requires_grad=True) * 2).requires_grad

    def worker_disabling():
        m.set_grad_enabled(False)
        seen["other thread"] = m.is_grad_enabled()
    with m.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = m.is_grad_enabled()
    t = threading.Thread(target=worker_disabling)
    t.start()
    t.join()
    seen["main after"] = m.is_grad_enabled()
    return sorted(seen.items())


@scenario
def in_place_on_leaf(m):
    x = m.ones(2, requires_grad=True)
    with m.no_grad():
        x.mul_(2)
    return [x.requires_grad, x.is_leaf, x._version, x, raised(lambda: x.mul_(2))]


def test_thread_sees_grad_enabled_while_main_is_in_no_grad():
    import numtorch
    seen = []
    with numtorch.no_grad():
        t = threading.Thread(target=lambda: seen.append(numtorch.is_grad_enabled()))
        t.start()
        t.join()
        assert not numtorch.is_grad_enabled()
    assert seen == [True]


@scenario
def compatibility_flags_and_variable(m):
    A = m.autograd
    out = [A.is_multithreading_enabled()]
    with A.set_multithreading_enabled(False):
        out.append(A.is_multithreading_enabled())
    out.append(A.is_multithreading_enabled())
    with A.enforce_grad_layout_policy(False):
        pass
    x = m.ones(2)
    v = A.Variable(x, requires_grad=True)
    x.add_(1)
    out += [v, v is x, isinstance(x, A.Variable), A.Variable(), raised(lambda: A.variable(1))]
    return out
