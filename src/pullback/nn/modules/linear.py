"""Identity, Linear, Bilinear, Flatten, Unflatten."""
import math

from .module import Module
from .. import init
from .. import functional as F
from ..._ops import shape as S


class Identity(Module):
    """Returns its input unchanged (arguments to the constructor are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x W^T + b``, initialised as PyTorch's: ``W`` kaiming-uniform with ``a = sqrt(5)``,
    ``b`` uniform in ``+-1/sqrt(in_features)``.

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool): whether to learn an additive bias (default True).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight, b = init._weight_and_bias(out_features, (out_features, in_features), bias, dtype)
        self.register_parameter("bias", b)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            init._uniform_fan_in_(self.bias, self.in_features)

    def forward(self, input):
        p = self._parameters  # (a direct read: the attribute route costs as much as the matmul here)
        if "weight" in p and "bias" in p:
            return F.linear(input, p["weight"], p["bias"])
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y_k = x1^T A_k x2 + b_k``."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight, b = init._weight_and_bias(out_features, (out_features, in1_features, in2_features), bias, dtype)
        self.register_parameter("bias", b)
        self.reset_parameters()

    def reset_parameters(self):
        init._uniform_fan_in_(self.weight, self.weight.shape[1])
        if self.bias is not None:
            init._uniform_fan_in_(self.bias, self.weight.shape[1])

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Flattens dims ``start_dim`` to ``end_dim`` (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return S.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return S.unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
