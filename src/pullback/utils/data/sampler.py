"""Samplers: the order (and grouping) in which a DataLoader fetches indices.

The random samplers draw from a :class:`pullback.Generator` (or, with none given, from a seed taken
from the global generator each epoch, so ``pullback.manual_seed`` makes them reproducible). The
orders are pullback's own (NumPy's PCG64): not PyTorch's for the same seed."""
from ..._backend import B
from . import _random


class Sampler:
    """The base class of samplers: an ``__iter__`` over dataset indices (and usually ``__len__``).
    ``Sampler[int]`` is accepted in type hints (it is ``Sampler``)."""

    def __class_getitem__(cls, item):
        return cls

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Yields ``0, 1, ..., len(data_source) - 1`` in order.

    Args:
        data_source (Dataset): the dataset to sample from.
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yields the indices in a random order: a permutation, or ``num_samples`` draws with
    replacement. Each pass draws a new order.

    Args:
        data_source (Dataset): the dataset to sample from.
        replacement (bool): draw with replacement (default False).
        num_samples (int, optional): how many indices (default ``len(data_source)``); without
            replacement, more than the length repeats whole permutations.
        generator (Generator, optional): the generator to draw from.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _generator(self):
        if self.generator is not None:
            return self.generator
        return _random.Generator().manual_seed(_random.new_seed(None))

    def __iter__(self):
        n = len(self.data_source)
        gen = self._generator()
        if self.replacement:
            yield from _random.randint(n, self.num_samples, gen)
            return
        for _ in range(self.num_samples // n):
            yield from _random.randperm(n, gen)
        yield from _random.randperm(n, gen)[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the given ``indices`` in a random order (a new one each pass).

    Args:
        indices (sequence): the indices.
        generator (Generator, optional): the generator to draw from.
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _random.randperm(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yields ``num_samples`` indices in ``[0, len(weights))`` drawn with probabilities proportional
    to ``weights``.

    Args:
        weights (sequence): the weights (need not sum to one).
        num_samples (int): how many indices to draw.
        replacement (bool): draw with replacement (default True).
        generator (Generator, optional): the generator to draw from.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = B.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=B.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        if not replacement and num_samples > w.size:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        from ... import tensor
        self.weights = tensor(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights.numpy()
        picks = _random._rng(self.generator).choice(w.size, size=self.num_samples, replace=self.replacement,
                                                    p=w / w.sum())
        yield from picks.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of another sampler into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): the indices.
        batch_size (int): the size of a batch.
        drop_last (bool): drop the last batch if it is smaller than ``batch_size``.

    Example::

        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
