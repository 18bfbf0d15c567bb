"""pullback.optim: optimizers and learning-rate schedulers, as ``torch.optim``."""
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .rmsprop import RMSprop, Adagrad  # noqa: F401
from .adadelta import Adadelta, Adamax  # noqa: F401
from .nadam import NAdam, RAdam  # noqa: F401
from .rprop import ASGD, Rprop  # noqa: F401
from .lbfgs import LBFGS  # noqa: F401
from . import lr_scheduler, swa_utils  # noqa: F401
