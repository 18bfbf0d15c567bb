"""``pullback.compile(module)``: the module with its forward compiled (torch's OptimizedModule)."""
from ..nn.modules.module import Module


class OptimizedModule(Module):
    """Wraps ``_orig_mod`` (its parameters, buffers and state_dict keys, prefixed ``_orig_mod.`` as
    torch's): calls replay the recorded forward, and the outputs' one backward node
    (``CompiledFunctionBackward``) replays the recorded backward into the parameters."""

    def __init__(self, mod, compiled_forward):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compiled_forward"] = compiled_forward

    def forward(self, *args, **kwargs):
        return self._compiled_forward(*args, **kwargs)

    def __repr__(self):
        return f"OptimizedModule(\n  (_orig_mod): {repr(self._orig_mod).replace(chr(10), chr(10) + '  ')}\n)"


def compile_module(mod, fullgraph=False, dynamic=False):
    from . import CompiledCallable
    return OptimizedModule(mod, CompiledCallable(mod.__call__, fullgraph=fullgraph, dynamic=dynamic))
