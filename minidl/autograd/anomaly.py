"""Anomaly detection: the first op whose forward or backward makes NaN/Inf raises.

Inside ``detect_anomaly()`` every node remembers where it was created, every forward
output and every backward gradient is checked for non-finite values, and the error names
the op and the line of user code that created it.
"""
import contextlib
import traceback


class _AnomalyState:
    enabled = False
    in_backward = False  # set by the engine while it runs backward formulas


state = _AnomalyState()


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager: raise at the first op that produces NaN or Inf.

    Example:
        >>> import minidl as mdl
        >>> x = mdl.tensor([0.0], requires_grad=True)
        >>> with mdl.autograd.detect_anomaly():
        ...     y = mdl.log(x)  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        FloatingPointError: Log: forward produced non-finite values ...
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = state.enabled
        state.enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        state.enabled = self._previous
        return False


def _creation_site():
    frames = traceback.extract_stack()[:-3]
    user = [f for f in frames if "/minidl/autograd/" not in f.filename.replace("\\", "/")]
    frame = (user or frames)[-1]
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'


def _all_finite(data):
    from minidl.backends import backend_of_array
    xp = backend_of_array(data).xp
    if data.dtype.kind not in "fc":
        return True
    return bool(xp.isfinite(data).all())


def check_forward(fn, out):
    fn.created_at = _creation_site()
    if state.in_backward:
        return  # an op inside some node's backward: check_backward judges that node's result
    if not _all_finite(out.data):
        raise FloatingPointError(
            f"{type(fn).__name__}: forward produced non-finite values (NaN or Inf) in an output of "
            f"shape {tuple(out.shape)}; the op was created at {fn.created_at}")


def check_backward(fn, index, gx):
    if gx is not None and not _all_finite(gx.data):
        where = fn.created_at or "(created outside detect_anomaly)"
        raise FloatingPointError(
            f"{type(fn).__name__}: backward produced non-finite values (NaN or Inf) in the gradient "
            f"of input {index} (shape {tuple(gx.shape)}); the op was created at {where}")
