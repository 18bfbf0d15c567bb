"""``pullback.Generator``: a seedable random generator for the data utilities (shuffling, splits).

pullback's sampling draws from NumPy's PCG64, so a seeded shuffle is reproducible run to run but its
order differs from PyTorch's for the same seed (PyTorch uses a Mersenne Twister stream)."""
import copy

from ..._backend import B

_DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()


class Generator:
    """A random number generator with its own state, as ``torch.Generator``.

    Pass it as ``generator=`` to :class:`~pullback.utils.data.DataLoader`,
    :class:`~pullback.utils.data.RandomSampler`, :func:`~pullback.utils.data.random_split`... to make
    shuffles reproducible independently of the global seed. The numbers come from NumPy's PCG64
    stream: the same seed gives the same order in pullback every time, but not PyTorch's order.

    Args:
        device (str, optional): only ``"cpu"``.

    Example::

        >>> g = pullback.Generator().manual_seed(42)
        >>> g.initial_seed()
        42
    """

    def __init__(self, device="cpu"):
        from ..._tensor import check_device
        check_device(device)
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self):
        from ..._tensor import CPU
        return CPU

    def manual_seed(self, seed):
        """Seeds the generator; returns it (so ``Generator().manual_seed(0)`` chains)."""
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None
        self._seed = seed
        self._rng = B.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def initial_seed(self):
        """The seed the generator was last seeded with."""
        return self._seed

    def seed(self):
        """Seeds the generator non-deterministically; returns the seed."""
        s = int(B.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def get_state(self):
        """The generator's state (pass it to ``set_state`` to replay the same draws)."""
        return copy.deepcopy(self._rng.bit_generator.state)

    def set_state(self, new_state):
        """Restores a state returned by ``get_state``; returns the generator."""
        self._rng.bit_generator.state = copy.deepcopy(new_state)
        return self

    def __repr__(self):
        return f"<pullback.Generator object at {id(self):#x}>"


def _rng(generator):
    """The NumPy generator behind ``generator`` (None: pullback's global one, seeded by manual_seed)."""
    if generator is None:
        from ... import _creation
        return _creation._generator[0]
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, B.random.Generator):
        return generator
    raise TypeError(f"generator must be a pullback.Generator or None, but got {type(generator).__name__}")


def randperm(n, generator=None):
    """A random permutation of ``range(n)`` as a list of Python ints."""
    return _rng(generator).permutation(int(n)).tolist()


def randint(high, size, generator=None):
    """``size`` random ints in ``[0, high)`` as a list of Python ints."""
    return _rng(generator).integers(0, int(high), size=int(size)).tolist()


def new_seed(generator=None):
    """A 63-bit seed drawn from ``generator`` (what a sampler with no generator seeds itself from)."""
    return int(_rng(generator).integers(0, 2 ** 63 - 1))
