"""The module and loss table for the nn tests.

Each entry builds a module with ``make(nn)`` (the same code for pullback.nn and torch.nn), the
input shapes, and how to draw the inputs. The oracle test copies the weights from the pullback
module into the torch one, so both compute with the same parameters.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass
class ModuleInfo:
    name: str
    make: Callable
    shapes: tuple
    domain: tuple = (-2.0, 2.0)
    targets: Optional[Callable] = None   # extra non-differentiable inputs: fn(m, rng) -> list
    second_order: bool = False
    train: bool = False
    # padding_idx rows get no gradient by definition, though the output depends on them
    finite_differences: bool = True


def _classes(n, c, ignore=False):
    def make(m, rng):
        t = rng.integers(0, c, n)
        if ignore:
            t[0] = -100
        return [m.tensor(t)]
    return make


def _probabilities(shape):
    def make(m, rng):
        p = rng.uniform(0.1, 1.0, shape)
        return [m.tensor(p / p.sum(1, keepdims=True))]
    return make


def _values(shape, lo=-1.0, hi=1.0):
    return lambda m, rng: [m.tensor(rng.uniform(lo, hi, shape))]


MODULES = [
    ModuleInfo("Linear", lambda nn: nn.Linear(4, 3), ((5, 4),)),
    ModuleInfo("Linear_nobias_3d", lambda nn: nn.Linear(4, 2, bias=False), ((2, 5, 4),)),
    ModuleInfo("Linear_1d", lambda nn: nn.Linear(4, 3), ((4,),)),
    ModuleInfo("Linear_nobias_1d", lambda nn: nn.Linear(4, 3, bias=False), ((4,),)),
    ModuleInfo("Linear_4d", lambda nn: nn.Linear(4, 3), ((2, 3, 2, 4),), second_order=True),
    ModuleInfo("Bilinear", lambda nn: nn.Bilinear(3, 2, 4), ((5, 3), (5, 2))),
    ModuleInfo("Identity", lambda nn: nn.Identity(), ((3,),)),
    ModuleInfo("Flatten", lambda nn: nn.Flatten(), ((2, 3, 4),)),
    ModuleInfo("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), ((2, 6),)),
    ModuleInfo("ReLU", lambda nn: nn.ReLU(), ((4, 5),), second_order=True),
    ModuleInfo("LeakyReLU", lambda nn: nn.LeakyReLU(0.2), ((4, 5),), second_order=True),
    ModuleInfo("ELU", lambda nn: nn.ELU(0.7), ((4, 5),), second_order=True),
    ModuleInfo("GELU", lambda nn: nn.GELU(), ((4, 5),), second_order=True),
    ModuleInfo("GELU_tanh", lambda nn: nn.GELU("tanh"), ((4, 5),), second_order=True),
    ModuleInfo("SiLU", lambda nn: nn.SiLU(), ((4, 5),), second_order=True),
    ModuleInfo("Tanh", lambda nn: nn.Tanh(), ((4, 5),), second_order=True),
    ModuleInfo("Sigmoid", lambda nn: nn.Sigmoid(), ((4, 5),), second_order=True),
    ModuleInfo("Softplus", lambda nn: nn.Softplus(beta=2.0, threshold=3.0), ((4, 5),), second_order=True),
    ModuleInfo("Softmax", lambda nn: nn.Softmax(dim=1), ((4, 5),), second_order=True),
    ModuleInfo("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), ((4, 5),), second_order=True),
    ModuleInfo("Dropout_eval", lambda nn: nn.Dropout(0.5).eval(), ((4, 5),)),
    ModuleInfo("LayerNorm", lambda nn: nn.LayerNorm(5), ((4, 5),), second_order=True),
    ModuleInfo("LayerNorm_2d", lambda nn: nn.LayerNorm((3, 4), elementwise_affine=False), ((2, 3, 4),)),
    ModuleInfo("BatchNorm1d_train", lambda nn: nn.BatchNorm1d(3), ((6, 3),), train=True),
    ModuleInfo("BatchNorm1d_eval", lambda nn: nn.BatchNorm1d(3).eval(), ((6, 3, 2),)),
    ModuleInfo("BatchNorm2d_train", lambda nn: nn.BatchNorm2d(2), ((3, 2, 4, 4),), train=True),
    ModuleInfo("Conv2d", lambda nn: nn.Conv2d(2, 3, 3), ((2, 2, 5, 5),)),
    ModuleInfo("Conv2d_pad_stride", lambda nn: nn.Conv2d(2, 4, (3, 2), stride=2, padding=1), ((2, 2, 6, 5),)),
    ModuleInfo("Conv2d_dilation_groups", lambda nn: nn.Conv2d(4, 6, 3, dilation=2, groups=2, bias=False),
               ((1, 4, 7, 7),)),
    ModuleInfo("Conv2d_same", lambda nn: nn.Conv2d(1, 2, 3, padding="same"), ((2, 1, 4, 4),)),
    ModuleInfo("Conv1d", lambda nn: nn.Conv1d(2, 3, 3, stride=2, padding=1), ((2, 2, 9),)),
    ModuleInfo("MaxPool2d", lambda nn: nn.MaxPool2d(2), ((2, 3, 4, 6),)),
    ModuleInfo("MaxPool2d_stride_pad", lambda nn: nn.MaxPool2d(3, stride=2, padding=1), ((1, 2, 5, 5),)),
    ModuleInfo("AvgPool2d", lambda nn: nn.AvgPool2d(2), ((2, 3, 4, 6),)),
    ModuleInfo("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((1, 1)), ((2, 3, 4, 4),)),
    ModuleInfo("AdaptiveAvgPool2d_uneven", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), ((1, 2, 5, 7),)),
    ModuleInfo("Sequential", lambda nn: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)), ((3, 4),),
               second_order=True),
    # losses: the first input is differentiated, the others come from `targets`
    ModuleInfo("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(), ((6, 4),), targets=_classes(6, 4),
               second_order=True),
    ModuleInfo("CrossEntropyLoss_ignore_smooth", lambda nn: nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=0.1),
               ((6, 4),), targets=_classes(6, 4, ignore=True), second_order=True),
    ModuleInfo("CrossEntropyLoss_probs", lambda nn: nn.CrossEntropyLoss(reduction="sum"), ((5, 3),),
               targets=_probabilities((5, 3)), second_order=True),
    ModuleInfo("CrossEntropyLoss_kdim", lambda nn: nn.CrossEntropyLoss(reduction="none"), ((2, 3, 4),),
               targets=lambda m, rng: [m.tensor(rng.integers(0, 3, (2, 4)))], second_order=True),
    ModuleInfo("NLLLoss", lambda nn: nn.NLLLoss(reduction="sum"), ((6, 4),), targets=_classes(6, 4), second_order=True),
    ModuleInfo("CrossEntropyLoss_weight", lambda nn: nn.CrossEntropyLoss(weight=_lib(nn).tensor([1.0, 2.0, 0.5, 3.0])),
               ((6, 4),), targets=_classes(6, 4, ignore=True), second_order=True),
    ModuleInfo("CrossEntropyLoss_weight_smooth",
               lambda nn: nn.CrossEntropyLoss(weight=_lib(nn).tensor([1.0, 2.0, 0.5, 3.0]), label_smoothing=0.2,
                                              reduction="sum"),
               ((6, 4),), targets=_classes(6, 4, ignore=True)),
    ModuleInfo("BCEWithLogitsLoss_pos_weight",
               lambda nn: nn.BCEWithLogitsLoss(pos_weight=_lib(nn).tensor([1.0, 2.0, 0.5])), ((4, 3),),
               targets=_values((4, 3), 0.0, 1.0), second_order=True),
    ModuleInfo("Embedding", lambda nn: nn.Embedding(6, 3), (), targets=lambda m, rng: [m.tensor([[0, 2, 2], [5, 1, 0]])]),
    ModuleInfo("Embedding_padding", lambda nn: nn.Embedding(6, 3, padding_idx=2), (),
               targets=lambda m, rng: [m.tensor([0, 2, 2, 4])], finite_differences=False),
    ModuleInfo("MSELoss", lambda nn: nn.MSELoss(), ((4, 3),), targets=_values((4, 3)), second_order=True),
    ModuleInfo("L1Loss", lambda nn: nn.L1Loss(reduction="sum"), ((4, 3),), targets=_values((4, 3), 3.0, 4.0)),
    ModuleInfo("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=0.5), ((4, 3),), targets=_values((4, 3)),
               second_order=True),
    ModuleInfo("HuberLoss", lambda nn: nn.HuberLoss(delta=0.7), ((4, 3),), targets=_values((4, 3)),
               second_order=True),
    ModuleInfo("BCELoss", lambda nn: nn.BCELoss(), ((4, 3),), (0.1, 0.9), targets=_values((4, 3), 0.0, 1.0),
               second_order=True),
    ModuleInfo("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(), ((4, 3),), targets=_values((4, 3), 0.0, 1.0),
               second_order=True),
    ModuleInfo("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean"), ((4, 3),), (-3.0, -0.1),
               targets=_probabilities((4, 3)), second_order=True),
]


def _lib(nn):
    """pullback (or torch) from its nn module, to build tensors for a module's constructor."""
    import sys
    return sys.modules[nn.__name__.rsplit(".", 1)[0]]


def inputs_for(info, rng):
    lo, hi = info.domain
    arrays = [rng.uniform(lo, hi, s) for s in info.shapes]
    for a in arrays:  # keep finite differences off the kinks of relu and friends
        a[np.abs(a) < 0.05] += 0.1
    return arrays
