"""Activation ops that the core does not have, one node each, forward and backward side by side.

Each backward is written with Tensor ops (masks are constants), so it can be differentiated
again. Gradients at the kinks follow PyTorch: leaky_relu and elu use the negative branch at
x = 0, relu6 passes no gradient at x = 0 and x = 6.
"""
import math

from minidl.autograd.function import Function
from minidl.autograd.ops.unary import exp, sigmoid, where
from minidl.autograd.tensor import constant


class LeakyReLU(Function):
    """y = x if x > 0 else s·x;    gx = gy · (1 if x > 0 else s)"""
    def forward(self, x, negative_slope=0.01):
        self.save_inputs(0)
        self.slope = negative_slope
        return self.xp.where(x > 0, x, x * negative_slope)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return where(constant(x.data > 0, x), gy, gy * self.slope)


class ELU(Function):
    """y = x if x > 0 else α(eˣ − 1);    gx = gy · (1 if x > 0 else y + α)"""
    def forward(self, x, alpha=1.0):
        self.save_inputs(0)
        self.save_outputs()
        self.alpha = alpha
        xp = self.xp
        # exp of min(x, 0) cannot overflow; expm1 keeps the digits of eˣ − 1 near 0
        return xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0)) * alpha)

    def backward(self, gy):
        x, y = self.saved_tensors
        return where(constant(x.data > 0, x), gy, gy * (y + self.alpha))


class Softplus(Function):
    """y = log(1 + e^(βx)) / β  (y = x where βx > threshold);
    gx = gy · σ(βx)  (gy where βx > threshold)"""
    def forward(self, x, beta=1.0, threshold=20.0):
        self.save_inputs(0)
        self.beta, self.threshold = beta, threshold
        xp = self.xp
        z = x * beta
        # max(z, 0) + log(1 + e^−|z|) = log(1 + e^z), and e^−|z| never overflows
        soft = xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        if beta != 1:
            soft *= 1.0 / beta
        return xp.where(z > threshold, x, soft)

    def backward(self, gy):
        (x,) = self.saved_tensors
        z = x * self.beta if self.beta != 1 else x
        linear = constant(z.data > self.threshold, x)
        return where(linear, gy, gy * sigmoid(z))


class ReLU6(Function):
    """y = min(max(x, 0), 6);    gx = gy · [0 < x < 6]"""
    def forward(self, x):
        self.save_inputs(0)
        return self.xp.clip(x, 0, 6)

    def backward(self, gy):
        (x,) = self.saved_tensors
        inside = (x.data > 0) & (x.data < 6)
        return gy * constant(inside.astype(gy.dtype), x)


class NormalCDF(Function):
    """y = Φ(x) = ½ erfc(−x/√2);    gx = gy · φ(x),  φ(x) = e^(−x²/2) / √(2π)"""
    def forward(self, x):
        self.save_inputs(0)
        return erfc(self.xp, x * -_SQRT1_2) * 0.5

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * (exp(x * x * -0.5) * _INV_SQRT_2PI)


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969) 631-638; the coefficients of Netlib's CALERF. Relative error below 1e-15 in float64
# (float32 inputs are evaluated in float32: error about 1e-7).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)


def erfc(xp, x):
    """The complementary error function 1 − erf(x) of an array, by Cody's three rational fits.

    |x| ≤ 0.46875:  1 − x·R₁(x²);   0.46875 < |x| ≤ 4:  e^(−x²)·R₂(|x|);
    |x| > 4:  e^(−x²)·(1/√π − R₃(1/x²)/x²)/|x|;   erfc(−x) = 2 − erfc(x).
    NumPy has no erf, and this keeps every step on ``xp`` (NumPy, CuPy) without SciPy.
    """
    y = xp.abs(x)
    # each branch is evaluated on inputs clipped into its own interval, so none overflows
    t = xp.minimum(y, 0.46875)
    z = t * t
    num, den = z * _A[4], z
    for i in range(3):
        num = (num + _A[i]) * z
        den = (den + _B[i]) * z
    near = 1.0 - x * ((num + _A[3]) / (den + _B[3]))

    t = xp.clip(y, 0.46875, 4.0)
    num, den = t * _C[8], t
    for i in range(7):
        num = (num + _C[i]) * t
        den = (den + _D[i]) * t
    middle = (num + _C[7]) / (den + _D[7])

    t = xp.maximum(y, 4.0)
    z = 1.0 / (t * t)
    num, den = z * _P[5], z
    for i in range(4):
        num = (num + _P[i]) * z
        den = (den + _Q[i]) * z
    far = (_INV_SQRT_PI - z * (num + _P[4]) / (den + _Q[4])) / t

    # e^(−y²) as e^(−s²)·e^(−(y−s)(y+s)), s = y rounded down to 1/16: s² is exact, so no
    # rounding error of y² is amplified by the exponential (Cody's trick)
    s = xp.floor(y * 16.0) * 0.0625
    scale = xp.exp(-(s * s)) * xp.exp(-((y - s) * (y + s)))
    tail = xp.where(y <= 4.0, middle, far) * scale  # erfc(|x|) for |x| > 0.46875
    tail = xp.where(x < 0, 2.0 - tail, tail)
    return xp.where(y <= 0.46875, near, tail)
