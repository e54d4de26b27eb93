"""nn modules, one file per family (as in torch.nn.modules)."""
from .module import Module
from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Bilinear, Identity, Linear
from .flatten import Flatten, Unflatten
from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                         LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d,
                         Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)

__all__ = [
    "Module",
    "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear",
    "Flatten", "Unflatten",
    "Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish", "Hardswish",
    "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "PReLU",
    "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax",
]

# losses, distances, recurrent layers, attention and transformer layers
from .loss import *  # noqa: E402,F401,F403
from .distance import CosineSimilarity, PairwiseDistance  # noqa: E402
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402
from .activation import MultiheadAttention  # noqa: E402
from .transformer import TransformerEncoder, TransformerEncoderLayer  # noqa: E402
from . import loss as _loss  # noqa: E402

__all__ += [*_loss.__all__, "PairwiseDistance", "CosineSimilarity",
            "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
            "TransformerEncoderLayer", "TransformerEncoder"]

# convolution, pooling, normalization, dropout, embedding, padding and resampling layers
from . import (batchnorm as _batchnorm, conv as _conv, dropout as _dropout, fold as _fold,  # noqa: E402
               instancenorm as _instancenorm, normalization as _normalization, padding as _padding,
               pixelshuffle as _pixelshuffle, pooling as _pooling, sparse as _sparse, upsampling as _upsampling)
from .batchnorm import *  # noqa: E402,F401,F403
from .conv import *  # noqa: E402,F401,F403
from .dropout import *  # noqa: E402,F401,F403
from .fold import *  # noqa: E402,F401,F403
from .instancenorm import *  # noqa: E402,F401,F403
from .normalization import *  # noqa: E402,F401,F403
from .padding import *  # noqa: E402,F401,F403
from .pixelshuffle import *  # noqa: E402,F401,F403
from .pooling import *  # noqa: E402,F401,F403
from .sparse import *  # noqa: E402,F401,F403
from .upsampling import *  # noqa: E402,F401,F403

__all__ += [name for m in (_batchnorm, _conv, _dropout, _fold, _instancenorm, _normalization, _padding, _pixelshuffle,
                           _pooling, _sparse, _upsampling) for name in m.__all__]

from .transformer import Transformer, TransformerDecoder, TransformerDecoderLayer  # noqa: E402
__all__ += ["Transformer", "TransformerDecoder", "TransformerDecoderLayer"]

# lazy modules, adaptive softmax
from . import lazy as _lazy  # noqa: E402
from .lazy import *  # noqa: E402,F401,F403
from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: E402
__all__ += [n for n in _lazy.__all__ if n != "LazyModuleMixin"] + ["AdaptiveLogSoftmaxWithLoss"]
