"""Tensor: an array plus autograd metadata. Arithmetic delegates to the primitive table."""
import builtins
import warnings
import weakref

from ._backend import B
from . import _dtype as D
from . import _errors, _tape
from ._size import Size
from ._ops import _registry
from .autograd import grad_mode
from .autograd.grad_mode import INFERENCE_THREADS as _INFERENCE_THREADS
from .autograd import anomaly_mode
from .autograd.graph import AccumulateGrad, add_hook

_engine = None  # autograd.engine, imported on first use (it imports the op table, which imports this)


def _load_engine():
    global _engine
    from .autograd import engine
    _engine = engine
    return engine


class _Device:
    """``pullback.device``: pullback computes on the CPU (through NumPy)."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, _Device):
            type, index = type.type, type.index
        if isinstance(type, str) and ":" in type:
            type, index = type.split(":")[0], int(type.split(":")[1])
        if type != "cpu":
            raise RuntimeError(f"pullback computes on the CPU only; got device {type!r}. "
                               "Use device='cpu' (or leave it out).")
        self.type = type
        self.index = index

    def __repr__(self):
        return f"device(type='{self.type}')"

    def __str__(self):
        return self.type

    def __eq__(self, other):
        return str(self) == str(other)

    # NumPy defers to Tensor's reflected operators instead of swallowing it as an array.
    __array_ufunc__ = None

    def __hash__(self):
        return hash(self.type)


CPU = _Device("cpu")


class memory_format:
    """A memory format name (``pullback.contiguous_format``, ...): accepted where PyTorch takes one.

    pullback's arrays are NumPy arrays; conversions and copies are always C-contiguous."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"pullback.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def check_device(device):
    if device is not None:
        _Device(device)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Create Tensors with ``pullback.tensor``, ``pullback.zeros``, ``pullback.randn`` and the like.
    """

    # Every Tensor sets these; the rarer attributes below are class-level defaults that an
    # instance overrides (in its __dict__) only when it needs to, which keeps creation cheap.
    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_version_counter", "_is_inference",
                 "__weakref__", "__dict__")
    _grad = None
    _base = None
    _view_chain = ()
    _view_version = 0
    _backward_hooks = None
    _post_accumulate_hooks = None
    _accumulator = None
    _retains_grad = False

    def __init__(self, *args):
        # pullback.Tensor(2, 3) is a (zero-filled) float tensor; pullback.Tensor([1, 2]) copies data.
        self._init(_legacy_data(args, D.get_default_dtype()))

    def _init(self, data, requires_grad=False, grad_fn=None, output_nr=0, version_counter=None):
        self._data = data
        self._requires_grad = requires_grad
        self.grad_fn = grad_fn
        self._output_nr = output_nr
        self._version_counter = version_counter if version_counter is not None else [0]
        self._is_inference = grad_mode._state.inference if _INFERENCE_THREADS[0] else False

    @classmethod
    def _make(cls, data, grad_fn=None, output_nr=0, requires_grad=False, version_counter=None):
        t = object.__new__(cls)
        # _init's body, inlined: every op's result comes through here.
        t._data = data
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._version_counter = version_counter if version_counter is not None else [0]
        t._is_inference = grad_mode._state.inference if _INFERENCE_THREADS[0] else False
        return t

    # --------------------------------------------------------------- metadata
    @property
    def dtype(self):
        return D._FROM_NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """Returns the shape as a ``pullback.Size``, or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        """Returns the number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self):
        """Returns the number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self):
        """Returns the size in bytes of one element."""
        return self._data.itemsize

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    @property
    def is_sparse(self):
        return False

    @property
    def layout(self):
        return "torch.strided"

    def is_floating_point(self):
        """Returns True if the dtype is a floating point dtype."""
        return self.dtype.is_floating_point

    def is_complex(self):
        return False

    def is_contiguous(self):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        """Returns the strides in elements (as PyTorch does), or the stride of dimension ``dim``."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    @property
    def _version(self):
        return self._version_counter[0]

    def _bump_version(self):
        vc = self._version_counter
        vc[0] += 1
        if anomaly_mode.is_anomaly_enabled():  # remember where, for the version error's message
            del vc[1:]
            vc.append(anomaly_mode.user_line())

    # --------------------------------------------------------------- autograd
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self.grad_fn is not None:
            msg = _errors.NON_LEAF_REQUIRES_GRAD
            if not value:
                msg += _errors.NON_LEAF_REQUIRES_GRAD_FALSE
            raise RuntimeError(msg)
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(_errors.INT_REQUIRES_GRAD_ATTR)
        self._requires_grad = value

    def is_inference(self):
        """Returns True if this Tensor was made in ``inference_mode`` (an inference tensor)."""
        return self._is_inference

    def requires_grad_(self, requires_grad=True):
        """Sets ``requires_grad`` in place and returns this Tensor.

        Example::

            >>> x = pullback.zeros(3).requires_grad_()
            >>> x.requires_grad
            True
        """
        if self.grad_fn is not None:
            msg = _errors.NON_LEAF_REQUIRES_GRAD
            if not requires_grad:
                msg += _errors.NON_LEAF_REQUIRES_GRAD_FALSE
            raise RuntimeError(msg)
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(_errors.INT_REQUIRES_GRAD)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_errors.NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        if _tape.ACTIVE[0] is not None and self._grad is not None:
            _tape.ACTIVE[0].see_grad(self)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        if _tape.ACTIVE[0] is not None:
            _tape.ACTIVE[0].set_grad(self, value)
        self._grad = value

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def data(self):
        """This Tensor's values as a new Tensor outside the graph. Unlike ``detach()``, in-place
        changes through ``.data`` are invisible to autograd's version checks."""
        if _tape.ACTIVE[0] is not None:
            _tape.ACTIVE[0].see(self)  # the alias reads (and writes) this Tensor's array at replay
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        _tape.graph_break("assigning .data")
        self._data = value._data if isinstance(value, Tensor) else B.asarray(value)

    def _edge(self):
        """Where a gradient for this Tensor goes: its grad_fn, or its leaf accumulator."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accumulator = weakref.ref(acc)
        return (acc, 0)

    def _is_multi_output_view(self):
        """Whether a view op with several outputs (split, unbind) made this view: PyTorch does not
        regenerate those after an in-place change, it refuses to use them."""
        return any(output is not None for _, _, output in self._view_chain)

    def _refresh_view(self):
        """Re-derives a view's grad_fn from its base after an in-place change to either (PyTorch
        regenerates views the same way): the view then differentiates through the change."""
        base = self._base
        if not base._requires_grad:
            return
        if self.grad_fn is not None and self._is_multi_output_view():
            raise RuntimeError(_errors.multi_output_view(
                self.grad_fn, self._output_nr, "its base or another view of its base has been modified inplace"))
        from ._ops.indexing import apply_view_chain
        regenerated = apply_view_chain(base, self._view_chain)
        self.grad_fn = regenerated.grad_fn
        self._output_nr = regenerated._output_nr
        self._requires_grad = regenerated._requires_grad
        self._view_version = self._version_counter[0]

    def detach(self):
        """Returns a new Tensor sharing this one's data (and version counter), outside the graph.

        Example::

            >>> y = (x * 2).detach()
            >>> y.requires_grad
            False
        """
        # Not an autograd view: in-place changes to it are allowed even if self requires grad
        # (PyTorch's "non-differentiable view"); the shared version counter still catches them.
        if _tape.ACTIVE[0] is not None:
            _tape.ACTIVE[0].see(self)
        return Tensor._make(self._data, version_counter=self._version_counter)

    def detach_(self):
        """Detaches this Tensor from the graph in place, making it a leaf."""
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def retain_grad(self):
        """Makes a non-leaf Tensor keep its ``.grad`` after ``backward()``."""
        if not self._requires_grad:
            raise RuntimeError(_errors.RETAIN_GRAD_NO_GRAD)
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """Registers ``hook(grad)`` to run when the gradient of this Tensor is computed.

        The hook may return a Tensor to use instead of ``grad``. Returns a handle whose
        ``remove()`` unregisters it.

        Example::

            >>> h = x.register_hook(lambda g: g * 2)  # doubles the gradient
            >>> h.remove()
        """
        if not self._requires_grad:
            raise RuntimeError(_errors.HOOK_NO_GRAD)
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        self._backward_hooks, handle = add_hook(self._backward_hooks, hook)
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Registers ``hook(tensor)`` to run after a leaf's ``.grad`` has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError(_errors.POST_ACCUMULATE_NON_LEAF)
        if not self._requires_grad:
            raise RuntimeError(_errors.HOOK_NO_GRAD)
        self._post_accumulate_hooks, handle = add_hook(self._post_accumulate_hooks, hook)
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Computes the gradient of this Tensor with respect to the graph leaves.

        For a scalar Tensor ``gradient`` may be omitted (it is 1). For a non-scalar output ``y``,
        ``gradient`` is the vector ``v`` (same shape as ``y``) and leaves receive ``v^T J`` in
        ``.grad``, accumulated across calls.

        Args:
            gradient (Tensor, optional): the vector in the vector-Jacobian product.
            retain_graph (bool, optional): keep the graph's saved values for another backward.
                Defaults to ``create_graph``.
            create_graph (bool): record the backward pass, for higher-order derivatives.
            inputs (sequence of Tensor, optional): accumulate only into these.

        Example::

            >>> x = pullback.tensor([0.5, 1.0], requires_grad=True)
            >>> pullback.sin(x).backward(pullback.tensor([1.0, 0.1]))
            >>> x.grad   # [cos(0.5), 0.1 * cos(1.0)]
            tensor([0.8776, 0.0540])
        """
        if (gradient is None and inputs is None and not create_graph and self._requires_grad
                and self._data.size == 1 and self._data.dtype.kind == "f"):
            # The common `loss.backward()`: straight to the engine with an implicit 1.
            engine = _engine or _load_engine()
            one = B.array(1, dtype=self._data.dtype)
            seed = one if not self._data.ndim else B.ones(self._data.shape, one.dtype)
            if _tape.ACTIVE[0] is not None:
                _tape.constant(seed)
            engine.run_backward((self,), (seed,), retain_graph=bool(retain_graph))
            return
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------ conversions
    def item(self):
        """Returns the value of a one-element Tensor as a Python number."""
        _registry.refuse_batched(self, ".item()")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        """Returns the Tensor as a (nested) Python list, or a number for a 0-dim Tensor."""
        _registry.refuse_batched(self, ".tolist()")
        return self._data.tolist()

    def numpy(self, *, force=False):
        """Returns a NumPy array sharing memory with this Tensor."""
        _registry.refuse_batched(self, ".numpy()")
        if self._requires_grad and not force and grad_mode._state.enabled:  # as torch: allowed under no_grad
            raise RuntimeError(_errors.NUMPY_REQUIRES_GRAD)
        return self._data

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """This Tensor's memory as a DLPack capsule (``torch.from_dlpack(t)`` shares it)."""
        if self._requires_grad and grad_mode._state.enabled:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {} if max_version is None else {"max_version": max_version}
        if copy is not None:
            kwargs["copy"] = copy
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU, device 0

    def __array__(self, dtype=None, copy=None):
        _registry.refuse_batched(self, "conversion to a NumPy array")
        if self._requires_grad and grad_mode._state.enabled:
            raise RuntimeError(_errors.NUMPY_REQUIRES_GRAD)
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        _registry.refuse_batched(self, "bool")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.reshape(()))

    def __float__(self):
        _registry.refuse_batched(self, ".item()")
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    # NumPy defers to Tensor's reflected operators instead of swallowing it as an array.
    __array_ufunc__ = None

    __hash__ = object.__hash__  # by identity, as torch's (in C: optimizers hash every parameter each step)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(str(self), spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        t = type(self)._make(self._data.copy(), requires_grad=self._requires_grad)
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("pullback computes on the CPU only: there is no CUDA device.")

    def type(self, dtype=None, non_blocking=False):
        """Returns the type name (``'pullback.FloatTensor'``), or converts to ``dtype``: a dtype,
        a legacy type (``pullback.FloatTensor``) or its name (``'torch.FloatTensor'`` too)."""
        if dtype is None:
            return "pullback." + self.dtype._tensor_type
        if isinstance(dtype, _LegacyTensorType):
            return self.to(dtype.dtype)
        if isinstance(dtype, str):
            legacy = _LEGACY_BY_NAME.get(dtype.rpartition(".")[2]) if dtype.startswith(("torch.", "pullback.")) else None
            if legacy is None:
                raise ValueError(f"invalid type: {dtype!r}")
            return self.to(legacy.dtype)
        return self.to(dtype)

    def to(self, *args, **kwargs):
        """Returns the Tensor converted to a dtype (and/or device; only 'cpu' exists).

        ``to(dtype)``, ``to(device)``, ``to(other_tensor)``, ``to(device, dtype)`` and keyword
        forms are accepted. Returns ``self`` when nothing changes, as PyTorch does.
        """
        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None))
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)  # results are always C-contiguous arrays
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        flags = [a for a in args if isinstance(a, bool)]  # to(dtype, non_blocking, copy), positionally
        if len(flags) > 1:
            copy = flags[1]
        for a in args:
            if isinstance(a, bool):
                continue
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (D.dtype, type)) or (isinstance(a, str) and a in D._BY_NAME):
                dtype = D.as_dtype(a)
            else:
                check_device(a)
        if dtype is None or D.as_dtype(dtype) is self.dtype:
            return self.clone() if copy else self
        from ._ops.elementwise import to_dtype
        return to_dtype(self, dtype=D.as_dtype(dtype))

    def float(self, memory_format=None):
        """Returns this Tensor as float32 (``self`` if it already is)."""
        return self.to(D.float32)

    def double(self, memory_format=None):
        """Returns this Tensor as float64."""
        return self.to(D.float64)

    def half(self, memory_format=None):
        """Returns this Tensor as float16."""
        return self.to(D.float16)

    def long(self, memory_format=None):
        """Returns this Tensor as int64."""
        return self.to(D.int64)

    def int(self, memory_format=None):
        """Returns this Tensor as int32."""
        return self.to(D.int32)

    def short(self, memory_format=None):
        return self.to(D.int16)

    def char(self, memory_format=None):
        return self.to(D.int8)

    def byte(self, memory_format=None):
        return self.to(D.uint8)

    def bool(self, memory_format=None):
        """Returns this Tensor as bool."""
        return self.to(D.bool)

    def type_as(self, other):
        """Returns this Tensor converted to ``other``'s dtype."""
        return self.to(other.dtype)


def _legacy_data(args, dtype):
    """The array of a legacy constructor call, ``Tensor(2, 3)`` (a shape) or ``FloatTensor([1, 2])`` (data)."""
    if len(args) == 1 and not isinstance(args[0], (builtins.int, Size)):
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype is not dtype:
                raise TypeError(f"expected {dtype._tensor_type} (got {data.dtype._tensor_type})")
            return data._data
        if isinstance(data, str) or not hasattr(data, "__len__"):
            what = "invalid data type" if isinstance(data, str) else "data must be a sequence (got"
            raise TypeError(f"new(): {what} '{type(data).__name__}'" if isinstance(data, str)
                            else f"new(): {what} {type(data).__name__})")
        from ._creation import tensor
        return tensor(data, dtype=dtype)._data
    shape = args[0] if len(args) == 1 and isinstance(args[0], Size) else args if args else (0,)
    return B.zeros(tuple(shape), dtype=dtype.np)


class _LegacyTensorType(type):
    """The type of ``pullback.FloatTensor`` and the other legacy tensor types: calling one makes
    a Tensor of its dtype (``FloatTensor(2, 3)``, ``LongTensor([1, 2])``), and ``isinstance(x,
    FloatTensor)`` asks whether ``x`` is a float32 Tensor, as in PyTorch."""

    def __call__(cls, *args, device=None):
        check_device(device)
        return Tensor._make(_legacy_data(args, cls.dtype))

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype


_LEGACY_BY_NAME = {d._tensor_type: _LegacyTensorType(d._tensor_type, (), {"dtype": d, "__module__": "pullback"})
                   for d in D.ALL_DTYPES}
FloatTensor, DoubleTensor, HalfTensor = (_LEGACY_BY_NAME[n] for n in ("FloatTensor", "DoubleTensor", "HalfTensor"))
ByteTensor, CharTensor, ShortTensor = (_LEGACY_BY_NAME[n] for n in ("ByteTensor", "CharTensor", "ShortTensor"))
IntTensor, LongTensor, BoolTensor = (_LEGACY_BY_NAME[n] for n in ("IntTensor", "LongTensor", "BoolTensor"))


def _rebuild(data, requires_grad):
    return Tensor._make(data, requires_grad=requires_grad)


def _wrap_dim(dim, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


_registry._set_tensor_class(Tensor)
_tape._Tensor[0] = Tensor
