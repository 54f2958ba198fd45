"""Lesson 1: SGD and momentum, by hand and by minidl.

Minimise f(w) = w²/2 from w = 1 with learning rate 0.1. The gradient is f'(w) = w.

Plain SGD:            w ← w − lr·g                  steps 0.1, then 0.09
SGD with momentum:    b ← μ·b + g   (b₁ = g₁)       steps 0.1, then 0.18:
                      w ← w − lr·b                  the buffer remembers the first gradient

Run:  python examples/01_sgd_momentum_by_hand.py

Expected output:
    step  by hand: w      step   | minidl SGD(momentum=0.9): w
       1        0.900000  0.1000 |                 0.900000
       2        0.720000  0.1800 |                 0.720000
       3        0.486000  0.2340 |                 0.486000
    plain SGD, same start: steps 0.1000, 0.0900, 0.0810

    The second momentum step, explained by minidl.teaching.explain_step:
    SGD (momentum 0.9), w   (lr=0.1, momentum=0.9, dampening=0, weight_decay=0, nesterov=False, maximize=False)
      g  = ∂L/∂θ                   = 0.9
      b  = μ·b + (1 − dampening)·g = 0.9·1 + 1·0.9 = 1.8
      Δθ = −lr·b                   = −0.1·1.8 = -0.18
      θ  : 0.9 → 0.72   (actual change made by the optimizer: -0.18)
"""
import minidl as mdl
from minidl.teaching import explain_step

LR, MU, STEPS = 0.1, 0.9, 3


def by_hand(momentum):
    """Plain Python: the update rule, one line each."""
    w, b, ws, steps = 1.0, None, [], []
    for _ in range(STEPS):
        g = w                                   # f'(w) = w
        if momentum:
            b = g if b is None else MU * b + g  # b₁ = g₁, then b ← μ·b + g
            step = LR * b
        else:
            step = LR * g
        w -= step
        ws.append(w)
        steps.append(step)
    return ws, steps


def with_minidl():
    w = mdl.tensor(1.0, dtype=mdl.float64, requires_grad=True)
    opt = mdl.optim.SGD([w], lr=LR, momentum=MU)
    ws, explained = [], None
    for step in range(STEPS):
        opt.zero_grad()
        (w * w / 2).backward()
        if step == 1:
            explained = explain_step(opt, w, name="w")
        else:
            opt.step()
        ws.append(w.item())
    return ws, explained


def main():
    hand_w, hand_steps = by_hand(momentum=True)
    lib_w, explained = with_minidl()
    print("step  by hand: w      step   | minidl SGD(momentum=0.9): w")
    for k, (a, s, b) in enumerate(zip(hand_w, hand_steps, lib_w), 1):
        print(f"{k:>4}  {a:>14.6f}  {s:.4f} | {b:>24.6f}")
    _, plain = by_hand(momentum=False)
    print("plain SGD, same start: steps " + ", ".join(f"{s:.4f}" for s in plain))
    print()
    print("The second momentum step, explained by minidl.teaching.explain_step:")
    print(explained)


if __name__ == "__main__":
    main()
