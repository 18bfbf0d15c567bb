"""pullback: reverse-mode automatic differentiation on NumPy, with PyTorch's API.

    >>> import pullback as torch
    >>> x = torch.tensor([0.5, 1.0, -0.5], requires_grad=True)
    >>> torch.sin(x).backward(torch.tensor([0.1, 1.0, 0.01]))
    >>> x.grad    # v^T J, with J = diag(cos(x))
    tensor([0.0878, 0.5403, 0.0088])
"""
from . import _dtype
from ._dtype import (dtype, float16, half, float32, float, float64, double, uint8, int8, int16, short,  # noqa: F401,A004
                     int32, int, int64, long, bool, get_default_dtype, set_default_dtype, promote_types)
from ._typeinfo import finfo, iinfo  # noqa: F401
from ._size import Size  # noqa: F401
from ._tensor import (Tensor, _Device as device, memory_format, contiguous_format,  # noqa: F401
                      preserve_format, channels_last, channels_last_3d)
from ._tensor import (FloatTensor, DoubleTensor, HalfTensor, ByteTensor, CharTensor, ShortTensor,  # noqa: F401
                      IntTensor, LongTensor, BoolTensor)
from ._ops import special_functions2 as _special_functions2  # noqa: F401,E402  (more of torch.special)
from . import _methods  # noqa: F401  (installs Tensor methods and operators)
from ._creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, full, empty, arange,  # noqa: F401
                        linspace, logspace, eye, zeros_like, ones_like, full_like, empty_like, rand, randn,
                        randint, randperm, normal, rand_like, randn_like, randint_like, bernoulli,
                        multinomial, manual_seed, seed, initial_seed, get_rng_state, set_rng_state)
from ._ops import functions as _functions, shape as _shape, indexing as _indexing, sorting as _sorting  # noqa: F401
from ._ops._api import EXPORTS as _EXPORTS
globals().update(_EXPORTS)  # every function declared @public (see _ops/_api.py)
from ._printing import set_printoptions  # noqa: F401
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                                 is_grad_enabled, is_inference_mode_enabled)
from . import autograd  # noqa: F401
from . import linalg, special  # noqa: F401,E402  (after every @public declaration is made)
from . import sparse  # noqa: F401,E402
from . import signal  # noqa: F401,E402
from . import nn, optim, utils, func  # noqa: F401,E402
from .func import vmap  # noqa: F401,E402
from .nn._toplevel import EXPORTS as _NN_EXPORTS  # noqa: E402
globals().update(_NN_EXPORTS)  # torch.conv2d, torch.pixel_shuffle, torch.dropout...
from ._namespace import EXPORTS as _NAMESPACE_EXPORTS  # noqa: E402
globals().update(_NAMESPACE_EXPORTS)  # torch.exp_, torch.set_num_threads, torch.hann_window...
from . import masked  # noqa: F401,E402  (after nn: its normalizations are nn.functional's)
from . import _inplace as _inplace_ops


def clone(input, *, memory_format=None):
    """Returns a copy of ``input``, recorded in the graph."""
    return input.clone()


def is_tensor(obj):
    """True if ``obj`` is a pullback Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True if ``input``'s dtype is a floating point dtype."""
    return input.is_floating_point()


def numel(input):
    """The number of elements of ``input``."""
    return input.numel()


def result_type(tensor1, tensor2):
    """The dtype PyTorch's promotion gives ``tensor1 op tensor2``."""
    return _dtype.result_type(tensor1, tensor2)


def detach(input):
    """``input.detach()``."""
    return input.detach()


def zero_(input):
    """Fills ``input`` with zeros in place."""
    return _inplace_ops.zero_(input)


class _Cuda:
    """``pullback.cuda``: there is no GPU backend; ``is_available()`` is False."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def manual_seed(seed):
        pass

    manual_seed_all = manual_seed


cuda = _Cuda()


def __getattr__(name):
    # pullback.distributions is imported on first use (it is ~5% of `import pullback` otherwise)
    if name == "distributions":
        import importlib
        return importlib.import_module(".distributions", __name__)
    if name in ("compile", "compiler"):  # imported on first use, as distributions
        import importlib
        compiled = importlib.import_module("._compile", __name__)
        globals().update(compile=compiled.compile, compiler=importlib.import_module(".compiler", __name__))
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"
from .utils.data._random import Generator  # noqa: F401,E402
from .serialization import save, load  # noqa: F401,E402
from .utils.dlpack import from_dlpack  # noqa: F401,E402
