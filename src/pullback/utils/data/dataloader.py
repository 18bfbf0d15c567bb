"""``DataLoader``: batches samples from a dataset, in the main process."""
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import SequentialSampler, RandomSampler, BatchSampler


def get_worker_info():
    """None: pullback's DataLoader loads in the main process, never in worker processes."""
    return None


class DataLoader:
    """Combines a dataset and a sampler and iterates over batches of the dataset.

    Samples are fetched in the main process (``num_workers=0``); ``shuffle=True`` draws a new order
    each epoch from ``generator`` (a :class:`pullback.Generator`) or, with none, from a seed taken
    from the global generator (``pullback.manual_seed``). Shuffled orders are reproducible in
    pullback but differ from PyTorch's for the same seed.

    Args:
        dataset (Dataset): a map-style or iterable-style dataset.
        batch_size (int, optional): samples per batch (default 1); None turns batching off.
        shuffle (bool, optional): reshuffle each epoch (default False).
        sampler (Sampler or iterable, optional): the order of the indices (excludes ``shuffle``).
        batch_sampler (Sampler or iterable, optional): yields lists of indices (excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers (int, optional): must be 0: pullback loads in the main process.
        collate_fn (callable, optional): makes a batch from a list of samples (default
            :func:`default_collate`, or :func:`default_convert` when not batching).
        pin_memory (bool, optional): accepted, no effect (there is no GPU).
        drop_last (bool, optional): drop the last, incomplete batch (default False).
        timeout (float, optional): must be 0 (no workers).
        worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
            pin_memory_device, in_order: accepted for PyTorch's signature; worker options
            need ``num_workers > 0``, which pullback does not support.
        generator (Generator, optional): the generator for ``shuffle``.

    Example::

        >>> ds = TensorDataset(pullback.arange(5.), pullback.arange(5))
        >>> for x, y in DataLoader(ds, batch_size=2):
        ...     print(x, y)
        tensor([0., 1.]) tensor([0, 1])
        tensor([2., 3.]) tensor([2, 3])
        tensor([4.]) tensor([4])
    """

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if num_workers > 0:
            raise NotImplementedError(f"pullback's DataLoader loads in the main process only: num_workers={num_workers} "
                                      "is not supported; use num_workers=0.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                             f"but got num_workers={num_workers}")

        if isinstance(dataset, IterableDataset):
            self._kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            self._kind = "map"
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._kind == "iterable":
                sampler = _InfiniteSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._initialized = True

    def __setattr__(self, attr, val):
        if getattr(self, "_initialized", False) and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        return _SingleProcessDataLoaderIter(self)

    def __len__(self):
        if self._kind == "iterable":
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _InfiniteSampler:
    """The placeholder sampler of an iterable dataset (its indices are never used)."""

    def __iter__(self):
        while True:
            yield None


class _SingleProcessDataLoaderIter:
    """One pass of a DataLoader, fetching in the main process."""

    def __init__(self, loader):
        self._dataset = loader.dataset
        self._collate_fn = loader.collate_fn
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._batch_size = loader.batch_size
        self._index_sampler = loader._index_sampler
        self._sampler_iter = iter(self._index_sampler)
        self._iterable = loader._kind == "iterable"
        self._dataset_iter = iter(self._dataset) if self._iterable else None
        self._ended = False
        self._len = loader.__len__ if hasattr(loader, "__len__") else None
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler) if not self._iterable else self._len()

    def _fetch(self, index):
        if self._iterable:
            if self._ended:
                raise StopIteration
            if not self._auto_collation:
                return self._collate_fn(next(self._dataset_iter))
            data = []
            for _ in index:
                try:
                    data.append(next(self._dataset_iter))
                except StopIteration:
                    self._ended = True
                    break
            if not data or (self._drop_last and len(data) < len(index)):
                raise StopIteration
            return self._collate_fn(data)
        if not self._auto_collation:
            return self._collate_fn(self._dataset[index])
        getitems = getattr(self._dataset, "__getitems__", None)
        data = getitems(index) if callable(getitems) else [self._dataset[i] for i in index]
        return self._collate_fn(data)

    def __next__(self):
        index = next(self._sampler_iter)
        data = self._fetch(index)
        self._num_yielded += 1
        return data
