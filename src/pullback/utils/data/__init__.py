"""pullback.utils.data: datasets, samplers and the DataLoader, as ``torch.utils.data``.

Loading is single-process (``num_workers=0``). Random orders (``shuffle``, ``random_split``,
``RandomSampler``) come from :class:`pullback.Generator` or the global seed: reproducible, but not
PyTorch's orders for the same seed."""
from ._random import Generator  # noqa: F401
from ._collate import default_collate, default_convert, collate, default_collate_fn_map  # noqa: F401
from .dataset import (Dataset, IterableDataset, TensorDataset, StackDataset, ConcatDataset,  # noqa: F401
                      ChainDataset, Subset, random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,  # noqa: F401
                      WeightedRandomSampler, BatchSampler)
from .dataloader import DataLoader, get_worker_info  # noqa: F401

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "Generator",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
