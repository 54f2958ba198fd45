"""Argument checks shared by the layers (one place, so every layer says the same thing).

``check_input_dtype`` is what a layer with weights calls on its input: a float32 model fed
float64 data would otherwise compute everything in float64 (NumPy promotes), slower and
silently; a uint8 image would be promoted too. PyTorch refuses such inputs; so does minidl,
naming both dtypes and the fix.
"""


def check_input_dtype(layer, x, weight):
    """Raise ``TypeError`` unless ``x`` has the dtype of ``weight`` (the layer's parameters).

    Args:
        layer: the layer's name for the message (``'Linear'``), or the layer itself.
        x: the input Tensor.
        weight: a Tensor of the layer (its weight, or a buffer when it has no weight), or None
            (nothing to compare with: no check).

    Example:
        >>> import minidl as mdl
        >>> check_input_dtype("Linear", mdl.ones(2, 3), mdl.ones(4, 3))   # both float32: fine
        >>> check_input_dtype("Linear", mdl.ones(2, 3, dtype="float64"), mdl.ones(4, 3))
        Traceback (most recent call last):
        ...
        TypeError: Linear: input dtype float64 does not match the layer's parameter dtype float32; ...
    """
    if weight is None or x.dtype == weight.dtype:
        return
    name = layer if isinstance(layer, str) else type(layer).__name__
    have, want = x.dtype, weight.dtype
    if have.kind in "fc":
        fix = (f"cast the input with x.astype('{want}'), or the model with "
               f"model.to(dtype='{have}') (the Trainer casts floating inputs for you)")
    else:
        fix = (f"a layer takes floating-point inputs: convert them with x.astype('{want}') "
               "(images: minidl.data.to_float(images, mean=..., std=...))")
    raise TypeError(f"{name}: input dtype {have} does not match the layer's parameter dtype "
                    f"{want}; {fix}")
