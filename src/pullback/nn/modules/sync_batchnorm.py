"""SyncBatchNorm on one process: batch normalization over any ``(N, C, ...)`` input. pullback
has no process groups, so there is never a statistic to synchronize: PyTorch falls back to
plain batch normalization exactly then (no initialized process group)."""
from .normalization import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over ``(N, C, *)`` inputs of at least 2 dims; ``process_group`` is kept
    and unused (one process).

    Example::

        >>> pullback.nn.SyncBatchNorm(3)(pullback.randn(4, 3, 5)).shape
        pullback.Size([4, 3, 5])
    """

    _dims = range(2, 65)   # any rank from 2 (checked in forward with SyncBatchNorm's message)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def forward(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*d in it (itself included) replaced by a SyncBatchNorm
        holding the same parameters and buffers."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm) and \
                type(module).__name__.startswith("BatchNorm"):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group, bias=module.bias is not None or not module.affine)
            for name in ("weight", "bias"):
                if module._parameters.get(name) is not None:
                    converted._parameters[name] = module._parameters[name]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted._buffers[name] = module._buffers.get(name)
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
