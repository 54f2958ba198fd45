"""Keras's Adam: the bias corrections folded into the step size, so ε is not corrected."""
import math

from minidl.backends import get_array_module
from minidl.keras.optimizers.optimizer import Optimizer, hyperparameter
from minidl.optim.optimizer import ema_square_, lerp_


class Adam(Optimizer):
    """Adam (Kingma & Ba, ICLR 2015) with AMSGrad (Reddi et al., ICLR 2018), Keras 3's form.

        m ← β₁·m + (1 − β₁)·g                         (both: minidl.optim's lerp_ kernel)
        v ← β₂·v + (1 − β₂)·g²                        (both: minidl.optim's ema_square_)
        amsgrad: v̂ ← max(v̂, v), used in place of v

        Keras ("ε-hat", Algorithm 1's last line      PyTorch (torch.optim.Adam)
        before §2's reordering)
        α ← lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)                 θ ← θ − (lr/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε)
        θ ← θ − α·m / (√v + ε)

    The two differ only in where ε sits: Keras adds it to √v before the bias correction,
    so its effective ε is ε·√(1 − β₂ᵗ) in PyTorch's terms (larger in early steps). Keras's
    default ε is also 1e-7 (PyTorch's 1e-8). t counts steps from 1 (``iterations + 1``).

    Args:
        learning_rate: lr (a number or a schedule of the step).
        beta_1, beta_2: β₁, β₂, the decay rates of the two moments.
        epsilon: ε.
        amsgrad: normalize by the largest second moment seen so far.
        weight_decay, clipnorm, clipvalue, global_clipnorm, ...: see :class:`Optimizer`
            (weight decay here is Keras's decoupled one, θ ← θ − θ·λ·lr).

    State per variable: ``momentum`` (m), ``velocity`` (v), ``velocity_hat`` (v̂, amsgrad).
    """

    beta_1 = hyperparameter("beta_1")
    beta_2 = hyperparameter("beta_2")
    epsilon = hyperparameter("epsilon")
    amsgrad = hyperparameter("amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name,
                         options={"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon,
                                  "amsgrad": amsgrad}, **kwargs)

    def slot_names(self):
        names = [("momentum", "velocity")]
        if self.amsgrad:
            names.append(("velocity_hat",))
        return names

    def init_state(self, p, group):
        state = {"momentum": p.xp.zeros_like(p.data), "velocity": p.xp.zeros_like(p.data)}
        if group["amsgrad"]:
            state["velocity_hat"] = p.xp.zeros_like(p.data)
        return state

    def update(self, theta, g, state, *, lr, weight_decay, beta_1, beta_2, epsilon, amsgrad):
        xp = get_array_module(theta)
        self.decay_weights(theta, lr, weight_decay)
        t = self.step_count()
        b1, b2 = self.in_dtype(beta_1, theta), self.in_dtype(beta_2, theta)   # (as Keras)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m, v = state["momentum"], state["velocity"]
        tmp = self.scratch(theta)
        lerp_(m, g, 1.0 - beta_1, tmp)                     # m ← β₁·m + (1 − β₁)·g
        ema_square_(v, g, beta_2, tmp)                     # v ← β₂·v + (1 − β₂)·g²
        if amsgrad:
            v_hat = state["velocity_hat"]
            xp.maximum(v_hat, v, out=v_hat)                # v̂ ← max(v̂, v)
            v = v_hat
        denom = xp.sqrt(v, out=tmp)
        denom += epsilon                                   # √v + ε
        xp.divide(m, denom, out=tmp)
        tmp *= alpha
        theta -= tmp                                       # θ − α·m/(√v + ε)

    def algorithm_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, ICLR 2019), Keras 3's form: :class:`Adam` whose decoupled
    weight decay θ ← θ − θ·λ·lr (applied before the Adam step, as for every Keras optimizer)
    is on by default, λ = 0.004.

        Keras                                       PyTorch (torch.optim.AdamW)
        θ ← θ − θ·λ·lr   (= θ·(1 − lr·λ))            θ ← θ·(1 − lr·λ)            (λ = 0.01)
        θ ← θ − α·m / (√v + ε)  (Keras's Adam)       θ ← θ − PyTorch's Adam step

    Args: as :class:`Adam`, with ``weight_decay`` (λ, required to be a number).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-07, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
