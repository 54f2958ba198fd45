"""Collectives on Tensors: ``all_reduce`` (in place), ``broadcast`` (in place), ``all_gather``.

Every rank must call the same collectives in the same order with tensors of the same shape
and dtype; the public functions here first check that the ranks agree (one small exchange)
and raise the same clear ``ValueError`` on every rank when they do not, instead of letting
MPI truncate or hang. The values travel through mpi4py's buffer methods (``Iallreduce``,
``Ibcast``, ``Iallgather`` on the arrays themselves), waited for with the world's timeout.
"""
import numpy as np

from minidl.autograd.tensor import Tensor, constant
from minidl.distributed import transport
from minidl.distributed.world import get_world

OPS = ("sum", "mean", "max", "min")
_MAX_DIMS = 16
_DTYPES = ("bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64",
           "complex64", "complex128")


def all_reduce(tensor, op="sum"):
    """Reduce ``tensor`` over all ranks, in place: every rank ends with the same result.

    Args:
        tensor: a Tensor with the same shape and dtype on every rank.
        op: ``'sum'``, ``'mean'`` (the sum divided by the world size; floating tensors only),
            ``'max'`` or ``'min'`` (elementwise).

    Example:
        >>> import minidl as mdl
        >>> from minidl import distributed as dist
        >>> t = mdl.tensor([1.0, 2.0])
        >>> dist.all_reduce(t, op="mean")  # a world of one: unchanged
        >>> t
        tensor([1., 2.])
    """
    _check_tensor(tensor, "all_reduce")
    if op not in OPS:
        raise ValueError(f"all_reduce: op must be one of {OPS}, got {op!r}")
    if op == "mean" and tensor.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: op='mean' needs a floating tensor, got {tensor.dtype} "
                        "(reduce with 'sum' and divide)")
    world = get_world()
    if world.size == 1:
        return
    _check_agreement(world, tensor, "all_reduce", op=OPS.index(op))
    array = _contiguous(tensor)
    transport.start_all_reduce(world, array, tensor.backend, "sum" if op == "mean" else op,
                               "all_reduce").wait()
    if op == "mean":
        array /= world.size
    _store(tensor, array)


def broadcast(tensor, src=0):
    """Overwrite ``tensor`` on every rank with rank ``src``'s values, in place.

    Args:
        tensor: a Tensor with the same shape and dtype on every rank.
        src: the rank whose values are sent.
    """
    _check_tensor(tensor, "broadcast")
    world = get_world()
    if not 0 <= src < world.size:
        raise ValueError(f"broadcast: src must be a rank in [0, {world.size}), got {src}")
    if world.size == 1:
        return
    _check_agreement(world, tensor, "broadcast", op=src)
    array = _contiguous(tensor)
    transport.start_broadcast(world, array, tensor.backend, src).wait()
    _store(tensor, array)


def all_gather(tensor):
    """Every rank's ``tensor``, as a list indexed by rank (the same list on every rank).

    Args:
        tensor: a Tensor with the same shape and dtype on every rank.

    Returns:
        A list of ``world size`` new Tensors (no gradient), on ``tensor``'s device.

    Example:
        >>> import minidl as mdl
        >>> from minidl import distributed as dist
        >>> dist.all_gather(mdl.tensor([1, 2]))
        [tensor([1, 2])]
    """
    _check_tensor(tensor, "all_gather")
    world = get_world()
    if world.size > 1:
        _check_agreement(world, tensor, "all_gather")
    array = _contiguous(tensor)
    out = tensor.xp.empty((world.size,) + tuple(array.shape), dtype=array.dtype)
    transport.start_all_gather(world, array, out, tensor.backend).wait()
    return [constant(out[i], tensor) for i in range(world.size)]


def _check_tensor(tensor, what):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.ndim > _MAX_DIMS:
        raise ValueError(f"{what}: tensors of more than {_MAX_DIMS} dimensions are not supported")


def _check_agreement(world, tensor, what, op=0):
    """Raise on every rank, naming each rank's shape and dtype, unless all ranks agree."""
    mine = np.full(3 + _MAX_DIMS, -1, dtype=np.int64)
    mine[0] = op
    mine[1] = _DTYPES.index(tensor.dtype.name) if tensor.dtype.name in _DTYPES else 99
    mine[2] = tensor.ndim
    mine[3:3 + tensor.ndim] = tensor.shape
    everyone = np.empty((world.size, mine.size), dtype=np.int64)
    transport.Pending(world.comm.Iallgather(mine, everyone), f"{what} (checking shapes)").wait()
    if (everyone == mine).all():
        return
    rows = []
    for rank, row in enumerate(everyone):
        shape = tuple(int(d) for d in row[3:3 + row[2]])
        dtype = _DTYPES[row[1]] if row[1] < len(_DTYPES) else "other"
        rows.append(f"rank {rank}: shape {shape}, dtype {dtype}"
                    + (f", op/src {row[0]}" if what != "all_gather" else ""))
    raise ValueError(f"{what}: the ranks disagree (every rank must pass a tensor of the same "
                     "shape and dtype, with the same op/src): " + "; ".join(rows))


def _contiguous(tensor):
    array = tensor.data
    flags = getattr(array, "flags", None)
    if flags is not None and flags.c_contiguous and getattr(flags, "writeable", True):
        return array
    return tensor.xp.ascontiguousarray(array).copy()


def _store(tensor, array):
    if array is not tensor.data:
        tensor.data[...] = array
    tensor.bump_version()
