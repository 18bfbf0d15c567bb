"""The one place that turns user data into Tensors, and the one random generator."""
import builtins
import copy
import math

from ._backend import B
from . import _dtype as D
from ._tensor import Tensor, check_device
from ._ops._rules import as_shape
from ._ops import shape as _shape_ops
from . import _levels, _tape
from ._ops import _registry

# PyTorch's default generator starts from this seed, so a fresh process is reproducible.
_DEFAULT_SEED = 67280421310721
_generator = [B.random.default_rng(_DEFAULT_SEED)]
_seed = [_DEFAULT_SEED]


def manual_seed(seed):
    """Seeds pullback's random generator: the same seed gives the same numbers.

    Args:
        seed (int): the seed.
    """
    seed = int(seed)
    _generator[0] = B.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
    _seed[0] = seed
    return _generator[0]


def seed():
    """Seeds the generator non-deterministically and returns the seed."""
    s = int(B.random.SeedSequence().entropy % (2 ** 63))
    manual_seed(s)
    return s


def initial_seed():
    """The seed the generator was last seeded with."""
    return _seed[0]


def get_rng_state():
    """The generator's state (pass it to ``set_rng_state`` to replay)."""
    return copy.deepcopy(_generator[0].bit_generator.state)


def set_rng_state(state):
    """Restores a state from ``get_rng_state``."""
    _generator[0].bit_generator.state = state


def _numpy_rng(generator):
    """The NumPy generator a draw uses: ``generator``'s (a pullback.Generator), or pullback's
    default one as it is now."""
    if generator is None:
        return _generator[0]
    return getattr(generator, "_rng", generator)


def _redraw(draw, generator, shape):
    """``draw(rng, shape)`` from ``generator`` or, without one, the default generator as it is now
    (a compiled step draws its numbers from the stream where the step replays)."""
    return draw(_numpy_rng(generator), shape)


def _random(shape, draw, generator=None):
    """Random numbers of ``shape`` from ``draw(rng, shape)``, following vmap's ``randomness``."""
    level = _levels.top(_levels.VMAP) if _levels.OPEN[0] else None
    if level is not None:
        mode = level.randomness
        if mode == "error":
            raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                               "'same' or 'different' randomness flags on vmap or perform the randomness operation "
                               "out of vmap")
        if mode == "different":
            from .func._batching import wrap
            return wrap(Tensor._make(_redraw(draw, generator, (level.size,) + tuple(shape))), 0, level.number)
    if _tape.ACTIVE[0] is None:
        return Tensor._make(_redraw(draw, generator, tuple(shape)))
    return Tensor._make(_tape.call(_redraw, draw, generator, tuple(shape)))


def _finish(data, dtype, requires_grad):
    if dtype is not None:
        data = data.astype(D.as_dtype(dtype).np, copy=False)
    if _tape.ACTIVE[0] is not None:
        _tape.constant(data)  # (a draw is recorded already; anything else here is made from Python values)
    t = Tensor._make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """PyTorch's dtype for Python data: bools -> bool, ints -> int64, floats -> default float."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (B.ndarray, B.generic)):
        return D.from_numpy_dtype(data.dtype)
    kind = _python_kind(data)
    return {0: D.bool, 1: D.int64, 2: D.get_default_dtype()}[kind]


def _python_kind(data):
    # The highest category (bool 0 < int 1 < float 2) among the leaves, found without recursion.
    kind = 0
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, Tensor):
            kind = builtins.max(kind, item.dtype.category)
        elif isinstance(item, (bool, B.bool_)):
            pass
        elif isinstance(item, (int, B.integer)):
            kind = builtins.max(kind, 1)
        elif isinstance(item, (float, B.floating)):
            return 2
        elif isinstance(item, B.ndarray):
            kind = builtins.max(kind, D.from_numpy_dtype(item.dtype).category)
        elif isinstance(item, complex):
            raise TypeError("pullback does not support complex numbers")
        else:
            raise TypeError(f"Could not infer dtype of {type(item).__name__}")
    return kind


def _to_array(data):
    if isinstance(data, Tensor):
        _registry.refuse_batched(data, "tensor(...) of a batched tensor")
        return data._data
    if isinstance(data, (list, tuple)) and _contains_tensor(data):
        data = _tensors_to_lists(data)
    try:
        return B.array(data)
    except ValueError as e:
        _raise_ragged(data)
        raise ValueError(f"expected a rectangular (non-ragged) sequence of numbers: {e}") from None


def _raise_ragged(data):
    """PyTorch's error for nested sequences that are not rectangular: the shape is read from the
    first elements, and the first sequence whose length differs is named."""
    shape, first = [], data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        first = first[0] if first else None
    pending = [(data, 0)]
    while pending:
        seq, dim = pending.pop()
        is_seq = isinstance(seq, (list, tuple))
        if dim < len(shape) and not is_seq:
            raise TypeError("not a sequence")
        if is_seq and dim >= len(shape):  # a sequence where the first elements have a number
            if isinstance(first, builtins.float):
                raise TypeError(f"must be real number, not {type(seq).__name__}")
            raise TypeError(f"'{type(seq).__name__}' object cannot be interpreted as an integer")
        if is_seq:
            if len(seq) != shape[dim]:
                raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(seq)})")
            pending.extend((s, dim + 1) for s in reversed(seq))


def _contains_tensor(data):
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Constructs a Tensor by copying ``data`` (a number, a nested sequence, an array or a Tensor).

    Python floats become the default dtype (float32), ints int64, bools bool.

    Args:
        data: the values.
        dtype (pullback.dtype, optional): the dtype; inferred from ``data`` when None.
        requires_grad (bool): whether autograd should record operations on it.

    Example::

        >>> pullback.tensor([[0.1, 1.2], [2.2, 3.1]])
        tensor([[0.1000, 1.2000],
                [2.2000, 3.1000]])
        >>> pullback.tensor([1, 2, 3]).dtype
        pullback.int64
    """
    check_device(device)
    target = D.as_dtype(dtype) if dtype is not None else _infer_dtype(data)
    arr = B.array(_to_array(data), dtype=target.np, copy=True)
    return _finish(arr, None, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Converts ``data`` to a Tensor, sharing memory with a NumPy array or Tensor when the dtype
    already matches."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, B.ndarray):
        arr = data if dtype is None else data.astype(D.as_dtype(dtype).np, copy=False)
        D.from_numpy_dtype(arr.dtype)
        _tape.graph_break("as_tensor of a NumPy array (an array read inside the step)")
        return Tensor._make(arr)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray):
    """A Tensor sharing memory with the NumPy array ``ndarray``: changes to one show in the other."""
    if not isinstance(ndarray, B.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    _tape.graph_break("from_numpy (a NumPy array read inside the step)")
    return Tensor._make(ndarray)


def _creation_shape(size, factory=None):
    """``as_shape(size)``, refusing negative sizes with PyTorch's error (NumPy's ValueError otherwise)."""
    shape = as_shape(size)
    if shape and builtins.min(shape) < 0:
        if factory == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        negative = next(n for n in shape if n < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative}: {list(shape)}")
    return shape


def _factory(fill, name=None):
    def make(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
             memory_format=None):
        check_device(device)
        shape = _creation_shape(size, name)
        dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
        return _finish(fill(shape, dt.np), None, requires_grad)
    return make


zeros = _factory(B.zeros, "zeros")
zeros.__name__ = "zeros"
zeros.__doc__ = """Returns a Tensor of zeros of the given size (ints or a tuple).

    Example::

        >>> pullback.zeros(2, 3)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """
ones = _factory(B.ones)
ones.__name__ = "ones"
ones.__doc__ = """Returns a Tensor of ones of the given size (ints or a tuple).

    Example::

        >>> pullback.ones(2)
        tensor([1., 1.])
    """
empty = _factory(B.zeros)  # zero-filled: uninitialised memory would make runs irreproducible
empty.__name__ = "empty"
empty.__doc__ = "Returns a Tensor of the given size; pullback fills it with zeros."


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """Returns a Tensor of ``size`` filled with ``fill_value`` (dtype inferred from it)."""
    check_device(device)
    dt = D.as_dtype(dtype) if dtype is not None else D.scalar_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(B.full(_creation_shape((size,)), fill_value, dtype=dt.np), None, requires_grad)


_is_batched = _levels.batched


def _like(fn):
    def make(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
        if _levels.OPEN[0] and _is_batched(input):  # under vmap: one per sample, as torch's
            return input._per_sample(lambda shape: fn(shape, dtype=dtype or input.dtype), tuple(input.shape))
        return fn(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)
    return make


zeros_like = _like(zeros)
zeros_like.__doc__ = "A Tensor of zeros with the shape (and dtype) of ``input``."
ones_like = _like(ones)
ones_like.__doc__ = "A Tensor of ones with the shape (and dtype) of ``input``."
empty_like = _like(empty)
empty_like.__doc__ = "A Tensor with the shape (and dtype) of ``input`` (zero-filled)."


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A Tensor with the shape (and dtype) of ``input``, filled with ``fill_value``."""
    if _levels.OPEN[0] and _is_batched(input):  # under vmap: one per sample, as torch's
        return input._per_sample(lambda shape: full(shape, fill_value, dtype=dtype or input.dtype), tuple(input.shape))
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False):
    """Values from ``start`` to ``end`` (exclusive) spaced by ``step``; int64 when all are ints.

    With an integer dtype, ``start``, ``end`` and ``step`` are truncated to integers first, as in
    PyTorch (``arange(0.1, 2.9, dtype=int64)`` is ``[0, 1]``).

    Example::

        >>> pullback.arange(5)
        tensor([0, 1, 2, 3, 4])
    """
    check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is not None:
        dt = D.as_dtype(dtype)
    elif out is not None:
        dt = out.dtype
    elif builtins.all(isinstance(v, (builtins.int, B.integer)) for v in vals):
        dt = D.int64
    else:
        dt = D.get_default_dtype()
    _check_range(*vals)
    if not dt.is_floating_point:
        vals = [builtins.int(v) for v in vals]
        if vals[2] == 0:  # a fractional step truncated to 0: PyTorch's Python-level check
            raise ValueError("step must be nonzero")
    n = builtins.max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    data = (vals[0] + B.arange(n, dtype=B.float64 if dt.is_floating_point else B.int64) * vals[2])
    return _written(out, _finish(data.astype(dt.np), None, requires_grad), "arange")


def _check_range(start, end, step):
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_scalar_str(start)} -> {_scalar_str(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def _scalar_str(v):
    return f"{v:g}" if isinstance(v, builtins.float) else str(v)


def _space_signatures(fn, extra=""):
    rest = (f"int steps, {extra}*, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool pin_memory = False, bool requires_grad = False)")
    return tuple(f"({a} start, {b} end, {rest}" for a, b in
                 (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"), ("Number", "Number")))


def _space_bounds(fn, start, end, steps, extra=""):
    """``start`` and ``end`` as Python numbers, after PyTorch's checks of linspace/logspace's arguments."""
    if not isinstance(steps, (builtins.int, B.integer)) or isinstance(steps, builtins.bool):
        from ._ops.functions import _invalid_combination
        raise _invalid_combination(fn, (start, end, steps), _space_signatures(fn, extra))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dims = [v.ndim if isinstance(v, Tensor) else 0 for v in (start, end)]
    if builtins.any(dims):
        raise RuntimeError(f"{fn} only supports 0-dimensional start and end tensors, but got start with "
                           f"{dims[0]} dimension(s) and end with {dims[1]} dimension(s).")
    return [v.item() if isinstance(v, Tensor) else v for v in (start, end)]


def _integer_space(start, end, steps):
    """PyTorch's linspace exponents for an integer dtype: the bounds truncated to integers, then
    filled in float64 from both ends (each half from its nearer bound)."""
    start, end = builtins.float(builtins.int(start)), builtins.float(builtins.int(end))
    step = (end - start) / (steps - 1)
    i = B.arange(steps)
    return B.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Args:
        start, end (Number or 0-dim Tensor): the first and last values.
        steps (int): how many values (>= 0).
        dtype (pullback.dtype, optional): the dtype (the default float dtype when None); for an
            integer dtype the bounds are truncated first and the values truncated, as PyTorch does.

    Example::

        >>> pullback.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    check_device(device)
    start, end = _space_bounds("linspace", start, end, steps)
    dt = _result_dtype(dtype, out)
    if dt.is_floating_point or steps < 2:
        data = B.linspace(start, end, steps)
    else:
        data = _integer_space(start, end, steps)
    return _written(out, _finish(data.astype(dt.np), None, requires_grad), "linspace")


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """``steps`` values ``base ** linspace(start, end, steps)``.

    Example::

        >>> pullback.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    check_device(device)
    start, end = _space_bounds("logspace", start, end, steps, "float base = 10.0, ")
    dt = _result_dtype(dtype, out)
    if dt.is_floating_point or steps < 2:
        data = B.logspace(start, end, steps, base=base)
    else:
        data = B.power(builtins.float(base), _integer_space(start, end, steps))
    return _written(out, _finish(data.astype(dt.np), None, requires_grad), "logspace")


def _result_dtype(dtype, out):
    """A factory's dtype: ``dtype``, else ``out``'s (as PyTorch computes in it), else the default."""
    if dtype is not None:
        return D.as_dtype(dtype)
    return out.dtype if out is not None else D.get_default_dtype()


def _written(out, result, fn):
    from ._out import write_out
    return write_out(out, result, fn)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """The ``n x m`` identity matrix (square when ``m`` is None)."""
    check_device(device)
    m = n if m is None else m
    for name, size in (("n", n), ("m", m)):
        if size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    dt = _result_dtype(dtype, out)
    return _written(out, _finish(B.eye(n, m, dtype=dt.np), None, requires_grad), "eye")


def _random_dtype(dtype):
    dt = D.as_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"\"normal_kernel_cpu\" not implemented for '{dt._tensor_type[:-6]}'")
    return dt


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1) of the given size.

    Example::

        >>> pullback.manual_seed(0); pullback.rand(2).shape
        pullback.Size([2])
    """
    check_device(device)
    dt = _random_dtype(dtype)
    t = _random(_creation_shape(size), lambda rng, shape: rng.random(shape).astype(dt.np), generator)
    return t.requires_grad_(True) if requires_grad else t


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers of the given size.

    Example::

        >>> x = pullback.randn(3, requires_grad=True)
    """
    check_device(device)
    dt = _random_dtype(dtype)
    t = _random(_creation_shape(size), lambda rng, shape: rng.standard_normal(shape).astype(dt.np), generator)
    return t.requires_grad_(True) if requires_grad else t


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in ``[low, high)`` of ``size`` (a tuple); ``randint(high, size)`` too."""
    check_device(device)
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    dt = D.as_dtype(dtype) if dtype is not None else D.int64
    return _random(as_shape((size,)), lambda rng, shape: rng.integers(low, high, size=shape).astype(dt.np), generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1``."""
    dt = D.as_dtype(dtype) if dtype is not None else D.int64
    return _finish(_drawn(_permutation, n, dt.np, generator), None, requires_grad)


def _permutation(n, dtype, generator):
    return _numpy_rng(generator).permutation(n).astype(dtype)


def _drawn(draw, *args):
    """``draw(*args)`` (its last argument the generator, or None for the default one as it is
    then), recorded as one operation while a compiled step is recorded: a replay draws again."""
    if _tape.ACTIVE[0] is not None:
        for a in args:
            if isinstance(a, Tensor):
                _tape.ACTIVE[0].see(a)
    return _tape.call(draw, *[a._data if isinstance(a, Tensor) else a for a in args])


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Normal random numbers: ``mean`` and ``std`` may be numbers (then ``size`` is needed) or
    Tensors (the result has their broadcast shape)."""
    check_device(device)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        shape = B.broadcast_shapes(B.shape(m), B.shape(s))
    else:
        shape = as_shape((size,))
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        dt = (mean if isinstance(mean, Tensor) else std).dtype
    else:
        dt = _random_dtype(dtype if dtype is not None or out is None else out.dtype)
    result = _finish(_drawn(_normal, mean, std, tuple(shape), dt.np, generator), None, requires_grad)
    return _written(out, result, "normal")


def _normal(m, s, shape, dtype, generator):
    _check_std(s)
    return (m + s * _numpy_rng(generator).standard_normal(shape)).astype(dtype)


def _check_std(std):
    if isinstance(std, B.ndarray) and std.ndim:
        if not (std >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_scalar_str(std)}")


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fills this Tensor with normal random numbers of mean ``mean`` and standard deviation
    ``std``, in place."""
    _check_std(std)
    return self.copy_(normal(mean, std, tuple(self.shape), generator=generator, dtype=self.dtype))


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) random numbers with the shape (and dtype) of ``input``."""
    return rand(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers with the shape (and dtype) of ``input``."""
    return randn(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    """Random integers with the shape of ``input``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Draws 1 with probability ``input`` (or ``p``, a number, when given) and 0 otherwise, with
    the dtype and shape of ``input``."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{input.dtype._tensor_type[:-6]}\'')
    result = Tensor._make(_drawn(_bernoulli, input if p is None else p, input._data.shape, input._data.dtype,
                                 generator))
    return _written(out, result, "bernoulli")


def _bernoulli(prob, shape, dtype, generator):
    if not ((0 <= B.asarray(prob)) & (B.asarray(prob) <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    return (_numpy_rng(generator).random(shape) < prob).astype(dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Samples ``num_samples`` indices per row of ``input`` (1-D or 2-D) with probabilities
    proportional to its entries (without replacement unless ``replacement``)."""
    _multinomial_checks(input, num_samples, replacement, out)
    result = Tensor._make(_drawn(_multinomial, input, num_samples, replacement, generator))
    return _written(out, result, "multinomial")


def _multinomial(data, num_samples, replacement, generator):
    p = _multinomial_probabilities(data, replacement, num_samples)
    rng = _numpy_rng(generator)
    rows = p.reshape(-1, p.shape[-1])
    if replacement:
        cumulative = B.cumsum(rows, axis=1)
        draws = rng.random((rows.shape[0], num_samples)) * cumulative[:, -1:]
        picked = B.stack([B.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
        picked = B.minimum(picked, rows.shape[1] - 1)
    else:
        # The exponential race: the k smallest Exp(1) / p are a draw of k without replacement.
        with B.errstate(divide="ignore", invalid="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        picked = B.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return picked.reshape(p.shape[:-1] + (num_samples,)).astype(B.int64)


# The draws a compiled step replays from the generator stream (a double backward through a compiled
# call restores the stream before it recomputes the call).
for _draw in (_redraw, _permutation, _normal, _bernoulli, _multinomial):
    _draw._draws = True


def _multinomial_checks(input, num_samples, replacement, out):
    """PyTorch's checks of multinomial's arguments before it reads the probabilities."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._tensor_type[:-6]}")
    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {out.dtype._tensor_type[:-6]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n > 2 ** 24:
        raise RuntimeError("number of categories cannot exceed 2^24")


def _multinomial_probabilities(data, replacement, num_samples):
    """The probabilities as float64 rows, after PyTorch's checks of their values (its messages)."""
    p = data.astype(B.float64)
    negative_or_nan = ~(p >= 0)
    infinite = B.isinf(p)
    if not replacement or num_samples == 1:  # PyTorch's sampling by exponential race checks first
        if (negative_or_nan | infinite).any():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if negative_or_nan.any():
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if infinite.any():
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    if (p.sum(axis=-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    return p


cat = _shape_ops.cat
stack = _shape_ops.stack


# ------------------------------------------------- Tensor.new_* (installed by _methods.py)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """A Tensor of zeros of ``size`` (this Tensor's dtype unless ``dtype`` is given): ``Tensor.new_zeros``."""
    return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    """A Tensor of ones of ``size`` (this Tensor's dtype unless ``dtype`` is given): ``Tensor.new_ones``."""
    return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    """A Tensor of ``size`` (zero-filled) (this Tensor's dtype unless ``dtype`` is given): ``Tensor.new_empty``."""
    return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    """A Tensor of ``size`` filled with ``fill_value`` (this Tensor's dtype unless ``dtype`` is given): ``Tensor.new_full``."""
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A Tensor of ``data`` (this Tensor's dtype unless ``dtype`` is given): ``Tensor.new_tensor``."""
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


# ------------------------------------------------------------- in-place random fills
def _fill_random(self, draw, generator):
    """Fills ``self`` in place with ``draw(rng, shape)`` from pullback's generator (or ``generator``)."""
    dt = self.dtype.np
    return self.copy_(_random(tuple(self.shape), lambda rng, shape: B.asarray(draw(rng, shape)).astype(dt),
                              generator))


def _continuous(self, kernel):
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{self.dtype._tensor_type[:-6]}'")


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fills this Tensor with numbers drawn uniformly from ``[from, to)``, in place."""
    from_ = kwargs.pop("from", from_)  # torch's keyword is `from`, a Python keyword
    _continuous(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_scalar_str(from_)} "
                           f"> to={_scalar_str(to)}")
    return _fill_random(self, lambda rng, shape: rng.uniform(from_, to, shape), generator)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fills this Tensor with exponentially distributed numbers of rate ``lambd``, in place."""
    if not self.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {self.dtype._tensor_type[:-6]}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_scalar_str(lambd)}")
    return _fill_random(self, lambda rng, shape: rng.exponential(1.0 / lambd, shape), generator)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fills this Tensor with Cauchy distributed numbers (``median``, scale ``sigma``), in place."""
    if not self.dtype.is_floating_point:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {D.CPP_TYPE_NAMES[self.dtype]}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_scalar_str(sigma)}")
    return _fill_random(self, lambda rng, shape: median + sigma * rng.standard_cauchy(shape), generator)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fills this Tensor with numbers whose log is normal (``mean``, ``std``), in place."""
    _continuous(self, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_scalar_str(std)}")
    return _fill_random(self, lambda rng, shape: rng.lognormal(mean, std, shape), generator)


def geometric_(self, p, *, generator=None):
    """Fills this Tensor with geometrically distributed numbers (trials up to the first success of
    probability ``p``: 1, 2, ...), in place."""
    if self.dtype is D.bool:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_scalar_str(p)}")
    return _fill_random(self, lambda rng, shape: rng.geometric(p, shape), generator)


def _declare_random_fills():
    from ._ops._api import public
    for fn in (uniform_, exponential_, cauchy_, log_normal_, geometric_):
        public(method=True, export=False)(fn)


_declare_random_fills()
