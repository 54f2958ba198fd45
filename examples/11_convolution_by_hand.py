"""Lesson 11: a convolution is one matrix product over the image's windows, and so is its backward.

1. im2col: every k×k window of the image becomes one column (PyTorch's ``F.unfold``: rows in
   (channel, i, j) order, one column per output pixel, row-major).
2. The convolution by its definition, seven nested loops
       y[n, o, p, q] = b[o] + Σ_c Σ_i Σ_j W[o, c, i, j] · x̃[n, c, p·s + i, q·s + j]
   (x̃: x zero-padded), equals the weight matrix times the columns: Y = W_mat @ im2col(x) + b,
   and equals ``F.conv2d``.
3. col2im (``F.fold``) adds every column entry back where it was read from. It is the
   adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c, which is exactly
   why it carries the gradient back through im2col.
4. The gradients by hand, for an upstream gradient G = dL/dY:
       dL/dW_mat = Σ_n G_n @ im2col(x)_nᵀ    (a matrix product with the same columns)
       dL/dx     = col2im(W_matᵀ @ G_n)      (the columns' gradient, folded back)
       dL/db     = Σ over n, p, q of G
   against autograd's.
5. Max-pooling sends each window's gradient to its first maximum (row-major), as PyTorch.

Run:  python examples/11_convolution_by_hand.py

Expected output:
    1. im2col of a 4×4 image (values 1..16), 3×3 kernel, stride 1: 9 rows × 4 columns
       1   2   5   6
       2   3   6   7
       3   4   7   8
       5   6   9  10
       6   7  10  11
       7   8  11  12
       9  10  13  14
      10  11  14  15
      11  12  15  16
    column 0 is the top-left window [1 2 3; 5 6 7; 9 10 11], read row by row

    2. x (2, 3, 5, 5), W (4, 3, 3, 3), stride 2, padding 1 -> y (2, 4, 3, 3)
    seven loops vs W_mat @ im2col(x) + b: max |difference| < 1e-12: True
    seven loops vs F.conv2d:               max |difference| < 1e-12: True

    3. the adjoint: <im2col(x), c> = -4.257731, <x, col2im(c)> = -4.257731, equal: True
    col2im(im2col(ones)) counts how many windows read each pixel:
      1  2  1  2  1
      2  4  2  4  2
      1  2  1  2  1
      2  4  2  4  2
      1  2  1  2  1

    4. gradients of L = <conv2d(x, W, b), G> by hand vs autograd
    dL/dW = sum_n G_n @ im2col(x)_n^T   max |difference| < 1e-12: True
    dL/dx = col2im(W_mat^T @ G_n)       max |difference| < 1e-12: True
    dL/db = sum of G over n, p, q       max |difference| < 1e-12: True

    5. max-pool 2×2 over [[3 5], [5 1]]: the tie 5 = 5 sends the gradient to the first
    gradient of the window: [[0.0 1.0], [0.0 0.0]]
"""
import numpy as np

import minidl as mdl
import minidl.nn.functional as F


def conv2d_seven_loops(x, W, b, stride, padding):
    """The definition, one multiply-add at a time (float64, no NumPy tricks)."""
    n_batch, channels, height, width = x.shape
    out_channels, _, kh, kw = W.shape
    xp = np.zeros((n_batch, channels, height + 2 * padding, width + 2 * padding))
    xp[:, :, padding:padding + height, padding:padding + width] = x
    oh = (height + 2 * padding - kh) // stride + 1
    ow = (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n_batch, out_channels, oh, ow))
    for n in range(n_batch):
        for o in range(out_channels):
            for p in range(oh):
                for q in range(ow):
                    total = b[o]
                    for c in range(channels):
                        for i in range(kh):
                            for j in range(kw):
                                total += W[o, c, i, j] * xp[n, c, p * stride + i, q * stride + j]
                    y[n, o, p, q] = total
    return y


def max_difference(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def part1_im2col():
    print("1. im2col of a 4×4 image (values 1..16), 3×3 kernel, stride 1: 9 rows × 4 columns")
    image = mdl.tensor(np.arange(1.0, 17.0).reshape(1, 1, 4, 4))
    cols = F.unfold(image, kernel_size=3).numpy()[0]
    for row in cols:
        print("".join(f"{int(v):4d}" for v in row))
    window = " ".join(f"{int(v)}" for v in cols[:, 0])
    first = window.split()
    print(f"column 0 is the top-left window [{' '.join(first[0:3])}; {' '.join(first[3:6])}; "
          f"{' '.join(first[6:9])}], read row by row")


def part2_definition(rng):
    print("\n2. x (2, 3, 5, 5), W (4, 3, 3, 3), stride 2, padding 1 -> y (2, 4, 3, 3)")
    x = rng.standard_normal((2, 3, 5, 5))
    W = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    loops = conv2d_seven_loops(x, W, b, stride=2, padding=1)
    cols = F.unfold(mdl.tensor(x), kernel_size=3, padding=1, stride=2).numpy()  # (2, 27, 9)
    by_gemm = (W.reshape(4, -1) @ cols + b[:, None]).reshape(2, 4, 3, 3)
    by_conv = F.conv2d(mdl.tensor(x), mdl.tensor(W), mdl.tensor(b), stride=2, padding=1).numpy()
    print(f"seven loops vs W_mat @ im2col(x) + b: max |difference| < 1e-12: "
          f"{max_difference(loops, by_gemm) < 1e-12}")
    print(f"seven loops vs F.conv2d:               max |difference| < 1e-12: "
          f"{max_difference(loops, by_conv) < 1e-12}")


def part3_adjoint(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    c = rng.standard_normal((1, 2 * 3 * 3, 9))                  # any columns of the right shape
    lhs = float(np.sum(F.unfold(mdl.tensor(x), kernel_size=3, stride=2, padding=1).numpy() * c))
    rhs = float(np.sum(x * F.fold(mdl.tensor(c), output_size=(5, 5), kernel_size=3, stride=2,
                                  padding=1).numpy()))
    print(f"\n3. the adjoint: <im2col(x), c> = {lhs:.6f}, <x, col2im(c)> = {rhs:.6f}, "
          f"equal: {abs(lhs - rhs) < 1e-12}")
    print("col2im(im2col(ones)) counts how many windows read each pixel:")
    ones = mdl.tensor(np.ones((1, 1, 5, 5)))
    counts = F.fold(F.unfold(ones, kernel_size=3, stride=2, padding=1), output_size=(5, 5),
                    kernel_size=3, stride=2, padding=1).numpy()[0, 0]
    for row in counts:
        print("".join(f"{int(v):3d}" for v in row))


def part4_gradients(rng):
    print("\n4. gradients of L = <conv2d(x, W, b), G> by hand vs autograd")
    x = mdl.tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    W = mdl.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = mdl.tensor(rng.standard_normal(4), requires_grad=True)
    G = rng.standard_normal((2, 4, 3, 3))                        # dL/dy, the upstream gradient
    y = F.conv2d(x, W, b, stride=2, padding=1)
    (y * mdl.tensor(G)).sum().backward()

    cols = F.unfold(x.detach(), kernel_size=3, stride=2, padding=1).numpy()  # (N, 27, 9)
    G_mat = G.reshape(2, 4, 9)                                   # (N, O, output pixels)
    W_mat = W.detach().numpy().reshape(4, 27)
    gW = sum(G_mat[n] @ cols[n].T for n in range(2)).reshape(4, 3, 3, 3)
    gcols = np.stack([W_mat.T @ G_mat[n] for n in range(2)])     # dL/dcolumns, (N, 27, 9)
    gx = F.fold(mdl.tensor(gcols), output_size=(5, 5), kernel_size=3, stride=2,
                padding=1).numpy()
    gb = G.sum(axis=(0, 2, 3))
    for label, mine, auto in [("dL/dW = sum_n G_n @ im2col(x)_n^T  ", gW, W.grad),
                              ("dL/dx = col2im(W_mat^T @ G_n)      ", gx, x.grad),
                              ("dL/db = sum of G over n, p, q      ", gb, b.grad)]:
        print(f"{label} max |difference| < 1e-12: {max_difference(mine, auto.numpy()) < 1e-12}")


def part5_max_pool_tie():
    print("\n5. max-pool 2×2 over [[3 5], [5 1]]: the tie 5 = 5 sends the gradient to the first")
    x = mdl.tensor([[[[3.0, 5.0], [5.0, 1.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    g = x.grad.numpy()[0, 0]
    print(f"gradient of the window: [[{g[0, 0]} {g[0, 1]}], [{g[1, 0]} {g[1, 1]}]]")


def main():
    rng = np.random.default_rng(0)
    part1_im2col()
    part2_definition(rng)
    part3_adjoint(rng)
    part4_gradients(rng)
    part5_max_pool_tie()


if __name__ == "__main__":
    main()
