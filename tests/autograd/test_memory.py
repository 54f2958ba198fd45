"""Memory: graphs are freed by reference counting alone, and training loops do not grow."""
import gc
import tracemalloc
import weakref

import pytest

import minidl as mdl
from minidl.autograd.ops import linear


@pytest.fixture
def no_gc():
    """Run with the cycle collector off, so that only reference counting frees objects."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


def make_mlp(device):
    mdl.manual_seed(0)
    x, target = mdl.randn(4, 3, device=device), mdl.randn(4, 2, device=device)
    params = [mdl.randn(8, 3, device=device, requires_grad=True),
              mdl.zeros(8, device=device, requires_grad=True),
              mdl.randn(2, 8, device=device, requires_grad=True)]

    def step():
        w1, b1, w2 = params
        d = linear(linear(x, w1, b1).tanh(), w2) - target
        (d * d).mean().backward()
        for p in params:
            p.grad = None

    return step


def test_memory_does_not_grow_over_10000_iterations():
    """A small MLP step, 10,000 times: traced memory at step 10,000 equals that at step 1,000.

    A leaked graph would cost kilobytes per step (tens of megabytes over 9,000 steps); the
    bound allows a couple of bytes per step. Without the warm-up, traced memory climbs by about
    100 KiB over the first ~2,000 steps and then stays flat: that is CPython's tuple free list
    (shape tuples; at most 2,000 kept per size) filling up, not minidl.
    """
    step = make_mlp("cpu")
    for _ in range(3_000):  # fill Python's free lists before tracing starts
        step()
    tracemalloc.start()
    try:
        for _ in range(1_000):
            step()
        after_1000, _ = tracemalloc.get_traced_memory()
        for _ in range(9_000):
            step()
        after_10000, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = after_10000 - after_1000
    assert growth < 16 * 1024, (after_1000, after_10000, peak)
    assert peak < 1024 * 1024


def test_a_graph_is_freed_without_the_cycle_collector(no_gc, device):
    x = mdl.randn(3, 4, device=device, requires_grad=True)
    w = mdl.randn(5, 4, device=device, requires_grad=True)
    # forward only, then dropped
    y = linear(x, w).exp().softmax().sum()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None
    # after backward (saved tensors and edges released)
    y = (linear(x, w).tanh() * x.sum()).sum()
    nodes = [weakref.ref(y.grad_fn)]
    y.backward()
    del y
    assert all(n() is None for n in nodes)
    # kept with retain_graph=True until the output goes away
    h = x.exp()
    y = (h * h).sum()
    inner = weakref.ref(h.grad_fn)
    y.backward(retain_graph=True)
    del h
    assert inner() is not None  # the graph of y still needs Exp
    del y
    assert inner() is None


def test_training_steps_leave_nothing_for_the_cycle_collector(no_gc, device):
    step = make_mlp(device)
    for _ in range(20):
        step()
    x = mdl.randn(2, 3, device=device, requires_grad=True)
    h = x.exp()
    h.retain_grad()  # weakly held by the node
    h.register_hook(lambda g: g * 2.0)
    (h.softmax() * h).sum().backward()
    (g,) = mdl.autograd.grad((x.tanh() ** 3).sum(), x, create_graph=True)
    mdl.autograd.grad(g.sum(), x)
    del h, x, g
    assert gc.collect() == 0
    # (backward(create_graph=True) does make a cycle, leaf -> .grad -> its graph -> leaf,
    # exactly as in PyTorch, which warns about it; autograd.grad stores nothing on leaves.)


def test_saved_outputs_do_not_keep_their_tensor_alive(no_gc, device):
    x = mdl.randn(3, device=device, requires_grad=True)
    y = x.exp()  # Exp saves its own output: held weakly, or y -> node -> y would be a cycle
    ref = weakref.ref(y)
    z = y.sum()
    del y
    assert ref() is None
    z.backward()  # the saved array itself is still there for backward
    assert x.grad is not None
