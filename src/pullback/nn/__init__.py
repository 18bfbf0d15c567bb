"""pullback.nn: modules, parameters, losses and initialisation, as ``torch.nn``."""
from .parameter import Parameter, Buffer  # noqa: F401
from .modules.module import Module  # noqa: F401
from .modules.container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict  # noqa: F401
from .modules.linear import Identity, Linear, Bilinear, Flatten, Unflatten  # noqa: F401
from .modules.activation import (ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Softplus, Softmax,  # noqa: F401
                                 LogSoftmax, Hardtanh, GLU, PReLU, CELU, SELU, Hardsigmoid, Hardswish, Mish,
                                 Softsign, Tanhshrink, LogSigmoid, Threshold, Hardshrink, Softshrink, ReLU6,
                                 Softmin, Softmax2d, RReLU)
from .modules.loss import (CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss,  # noqa: F401
                           BCEWithLogitsLoss, KLDivLoss, MarginRankingLoss, SoftMarginLoss, HingeEmbeddingLoss,
                           CosineEmbeddingLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss,
                           GaussianNLLLoss, PoissonNLLLoss, TripletMarginLoss, TripletMarginWithDistanceLoss)
from .modules.distance import PairwiseDistance, CosineSimilarity  # noqa: F401
from .modules.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, MaxPool2d, AvgPool2d,  # noqa: F401
                           AdaptiveAvgPool2d)
from .modules.pooling import (MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, AdaptiveMaxPool1d,  # noqa: F401
                              AdaptiveMaxPool2d, LPPool1d, LPPool2d, AdaptiveAvgPool3d,
                              AvgPool3d, MaxPool3d)
from .modules.normalization import (LayerNorm, BatchNorm1d, BatchNorm2d, Dropout, Embedding, BatchNorm3d,  # noqa: F401
                                    InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, GroupNorm, RMSNorm,
                                    LocalResponseNorm)
from .modules.attention import MultiheadAttention  # noqa: F401
from .modules.transformer import (TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder,  # noqa: F401
                                  TransformerDecoder, Transformer)
from .modules.padding import (ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad1d, ZeroPad2d,  # noqa: F401
                              ZeroPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d,
                              ReplicationPad2d, ReplicationPad3d, CircularPad1d, CircularPad2d, CircularPad3d)
from .modules.rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: F401
from .modules.resample import (Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle,  # noqa: F401
                               PixelUnshuffle, ChannelShuffle, Fold, Unfold, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
from .parameter import UninitializedParameter, UninitializedBuffer  # noqa: F401
from .modules.conv_pool_3d import ConvTranspose3d, AdaptiveMaxPool3d, LPPool3d  # noqa: F401
from .modules.lazy import (LazyModuleMixin, LazyLinear, LazyConv1d, LazyConv2d, LazyConv3d,  # noqa: F401
                           LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyBatchNorm1d,
                           LazyBatchNorm2d, LazyBatchNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                           LazyInstanceNorm3d)
from .modules.dropout_more import Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout  # noqa: F401
from .modules.embedding_bag import EmbeddingBag  # noqa: F401
from .modules.sync_batchnorm import SyncBatchNorm  # noqa: F401
from .modules.loss_ctc import CTCLoss  # noqa: F401
from .modules.fractional import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: F401
from . import functional, init, utils  # noqa: F401
