"""scikit-learn's stochastic solvers for the MLP, in its exact update forms, on any backend.

These are not ``minidl.optim`` optimizers: ``MLPClassifier(solver='sgd'|'adam')`` promises
scikit-learn's arithmetic (its ``_stochastic_optimizers.py``), which differs from PyTorch's in
small ways (the momentum form, Adam's folded bias correction, the learning-rate schedules run
per epoch). Parameters and gradients are raw arrays of one device; updates are made in place
through that device's array module ``xp``, in scikit-learn's order of operations, so float64
results agree with scikit-learn's to the last bits. The solver objects keep only arrays and
numbers (no module), so a fitted estimator pickles; ``xp`` is passed to each call.
"""
import math


class SGDOptimizer:
    """Stochastic gradient descent with momentum, scikit-learn's form.

        v ← μ·v − lr·g                  (velocity; μ = momentum)
        θ ← θ + v                        (classical momentum)
        θ ← θ + μ·v − lr·g               (nesterovs_momentum=True: with the new v)

    Schedules, applied at the end of each epoch (``iteration_ends``):
        'constant'    lr = learning_rate_init
        'invscaling'  lr = learning_rate_init / (t + 1) ** power_t,  t = samples seen so far
        'adaptive'    lr ← lr / 5 whenever training stalls (``trigger_stopping``), until lr ≤ 1e-6
    """

    def __init__(self, params, xp, learning_rate_init=0.1, lr_schedule="constant", momentum=0.9,
                 nesterov=True, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities = [xp.zeros_like(p) for p in params]

    def update_params(self, params, grads, xp):
        """One step, in place on each array of ``params``."""
        lr, mu = self.learning_rate, float(self.momentum)
        for theta, g, v in zip(params, grads, self.velocities):
            v *= mu
            v -= lr * g                     # v ← μ·v − lr·g, rounded as scikit-learn's
            if self.nesterov:
                theta += mu * v - lr * g
            else:
                theta += v

    def iteration_ends(self, time_step):
        """End of an epoch; ``time_step`` is the number of training samples seen so far."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = float(self.learning_rate_init) / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        """True to stop training; 'adaptive' instead divides lr by 5 (stops once lr ≤ 1e-6)."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class AdamOptimizer:
    """Adam (Kingma & Ba, 2014) as scikit-learn writes it: the bias correction folded into lr.

        t ← t + 1
        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        lr_t = learning_rate_init · √(1 − β2ᵗ) / (1 − β1ᵗ)
        θ ← θ − lr_t · m / (√v + ε)

    (ε is added to √v, not to √v̂ as in PyTorch: the two differ by a factor √(1 − β2ᵗ) on ε.)
    """

    def __init__(self, params, xp, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = [xp.zeros_like(p) for p in params]
        self.vs = [xp.zeros_like(p) for p in params]

    def update_params(self, params, grads, xp):
        """One step, in place on each array of ``params``."""
        self.t += 1
        beta1, beta2, eps = float(self.beta_1), float(self.beta_2), float(self.epsilon)
        t = self.t
        lr_t = float(self.learning_rate_init) * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        self.learning_rate = lr_t
        for theta, g, m, v in zip(params, grads, self.ms, self.vs):
            m *= beta1
            m += (1 - beta1) * g            # β1·m + (1 − β1)·g, rounded as scikit-learn's
            v *= beta2
            v += (1 - beta2) * (g * g)
            denom = xp.sqrt(v)
            denom += eps
            step = m * -lr_t
            step /= denom
            theta += step

    def iteration_ends(self, time_step):
        """End of an epoch: nothing changes for Adam."""

    def trigger_stopping(self, msg, verbose):
        """Adam always stops when training stalls."""
        if verbose:
            print(msg + " Stopping.")
        return True

