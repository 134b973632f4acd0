"""Convolution and pooling stages, and the essay's small MNIST-style convolutional net.

Images travel between stages flattened, so these stages obey the same contract as every
other one: x (N, B, C·H·W) -> (N, B, C'·H'·W') for N networks. Inside, the N networks are
one grouped convolution: the input is laid out as (B, N·C, H, W) and the weight
(N, C', C, k, k) is used as (N·C', C, k, k) with groups = N, so network i's output channels
see only network i's input channels.

    Conv2d:     y[c'] = b[c'] + Σ_c w[c', c] ⋆ x[c]      (zero padding p, stride 1)
    MaxPool2d:  y[c, i, j] = max of x[c] over the s x s block (i, j)

:func:`conv_net` builds conv → relu → pool → conv → relu → pool → affine → relu → read-out:
two convolutional layers and one hidden fully connected layer, no dropout (the net the
essay trained on MNIST before replacing its softmax by k-NN).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError, check_positive_int
from .stages import Activation, Affine, Stage, register_stage

__all__ = ["Conv2d", "MaxPool2d", "conv_net"]


def _shape(shape, what: str) -> tuple[int, int, int]:
    try:
        c, h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be (channels, height, width), got {shape!r}") from None
    for v in (c, h, w):
        check_positive_int(v, f"every entry of {what}")
    return c, h, w


@register_stage
class Conv2d(Stage):
    """2-D convolution of flattened images.

    weight (N, C_out, C_in, k, k), bias (N, C_out); x (N, B, C_in·H·W) -> (N, B, C_out·H'·W')
    with H' = H + 2p - k + 1. Never a homeomorphism in this form (it is linear, and a
    homeomorphism onto its image only when injective, which this check does not attempt).
    """

    type_name = "conv2d"

    def __init__(
        self, in_shape, channels: int, *, kernel: int = 3, padding: int = 1, n_networks: int = 1
    ):
        super().__init__()
        self.in_shape = _shape(in_shape, "a convolution's input shape")
        self.channels = check_positive_int(channels, "a convolution's channels")
        self.kernel = check_positive_int(kernel, "a convolution's kernel size")
        self.padding = check_positive_int(padding, "a convolution's padding", minimum=0)
        self.n_networks = check_positive_int(n_networks, "the number of networks")
        c, h, w = self.in_shape
        ho, wo = h + 2 * self.padding - self.kernel + 1, w + 2 * self.padding - self.kernel + 1
        if ho < 1 or wo < 1:
            raise InputError(f"a {self.kernel}x{self.kernel} kernel does not fit a {h}x{w} image")
        self.out_shape = (self.channels, ho, wo)
        self.d_in, self.d_out = c * h * w, self.channels * ho * wo
        self.weight = nn.Parameter(
            torch.empty(self.n_networks, self.channels, c, self.kernel, self.kernel)
        )
        self.bias = nn.Parameter(torch.empty(self.n_networks, self.channels))
        self.reset_parameters([None] * self.n_networks)

    def reset_parameters(self, generators) -> None:
        # He-uniform: keeps the variance of relu activations steady from layer to layer.
        fan_in = self.in_shape[0] * self.kernel**2
        bound = math.sqrt(6.0 / fan_in)
        with torch.no_grad():
            for i, g in enumerate(generators):
                self.weight[i].copy_(
                    (torch.rand(self.weight.shape[1:], generator=g) * 2 - 1) * bound
                )
                self.bias[i].zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, b, _ = x.shape
        c, h, w = self.in_shape
        img = x.reshape(n, b, c, h, w).transpose(0, 1).reshape(b, n * c, h, w)  # (B, N·C, H, W)
        out = F.conv2d(
            img,
            self.weight.reshape(n * self.channels, c, self.kernel, self.kernel),
            self.bias.reshape(-1),
            padding=self.padding,
            groups=n,
        )  # (B, N·C', H', W')
        return out.reshape(b, n, self.d_out).transpose(0, 1)  # (N, B, C'·H'·W')

    def is_homeomorphism(self, rtol: float | None = None) -> torch.Tensor:
        return torch.zeros(self.n_networks, dtype=torch.bool)

    def spec(self) -> dict:
        return {
            "type": self.type_name,
            "in_shape": list(self.in_shape),
            "channels": self.channels,
            "kernel": self.kernel,
            "padding": self.padding,
        }

    def short(self) -> str:
        return f"conv{self.kernel}x{self.kernel} {self.in_shape[0]}→{self.channels}"

    def extra_repr(self) -> str:
        return (
            f"{tuple(self.in_shape)} -> {tuple(self.out_shape)}, kernel={self.kernel}, "
            f"n_networks={self.n_networks}"
        )


@register_stage
class MaxPool2d(Stage):
    """Max over s x s blocks of flattened images: (N, B, C·H·W) -> (N, B, C·⌊H/s⌋·⌊W/s⌋)."""

    type_name = "maxpool2d"

    def __init__(self, in_shape, size: int = 2, *, n_networks: int = 1):
        super().__init__()
        self.in_shape = _shape(in_shape, "a pooling stage's input shape")
        self.size = check_positive_int(size, "the pooling size")
        c, h, w = self.in_shape
        if h < self.size or w < self.size:
            raise InputError(f"{self.size}x{self.size} pooling does not fit a {h}x{w} image")
        self.out_shape = (c, h // self.size, w // self.size)
        self.d_in, self.d_out = c * h * w, math.prod(self.out_shape)
        self.n_networks = n_networks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, b, _ = x.shape
        out = F.max_pool2d(x.reshape(n * b, *self.in_shape), self.size)
        return out.reshape(n, b, self.d_out)

    def is_homeomorphism(self, rtol: float | None = None) -> torch.Tensor:
        return torch.zeros(self.n_networks, dtype=torch.bool)

    def spec(self) -> dict:
        return {"type": self.type_name, "in_shape": list(self.in_shape), "size": self.size}

    def short(self) -> str:
        return f"maxpool{self.size}"


def conv_net(
    image_shape,
    n_classes: int = 10,
    *,
    channels=(16, 32),
    hidden: int = 128,
    kernel: int = 3,
    n_networks: int = 1,
    seed=0,
    head=None,
):
    """Two conv layers (each conv → relu → 2x2 max-pool), a hidden fully connected relu
    layer, then a linear read-out (or, with ``head``, a k-NN head on the hidden layer).

    Parameters
    ----------
    image_shape : (C, H, W)
        Input images, fed flattened as (B, C·H·W).
    n_classes : int
    channels : (int, int)
        Output channels of the two convolutions.
    hidden : int
        Width of the fully connected layer (the penultimate representation).
    kernel : int
        Odd kernel size; padding keeps the image size before each pooling.
    n_networks : int
        Networks trained together (leading parameter axis, grouped convolutions).
    seed : int or list of int
    head : Head, dict or None
        None for a softmax read-out; a head (e.g. :class:`~isotopy.knn.KNNHead`), or the
        options of a k-NN head as a dict.
    """
    from .network import Network

    shape = _shape(image_shape, "the image shape")
    if len(channels) != 2:
        raise InputError(f"the conv net has two convolutions; got channels {channels!r}")
    kernel = check_positive_int(kernel, "the kernel size")
    if kernel % 2 == 0:
        raise InputError(f"the kernel size must be odd so padding keeps the size, got {kernel}")
    stages, names = [], []
    for i, ch in enumerate(channels, start=1):
        conv = Conv2d(shape, ch, kernel=kernel, padding=kernel // 2, n_networks=n_networks)
        pool = MaxPool2d(conv.out_shape, 2, n_networks=n_networks)
        stages += [conv, Activation("relu", conv.d_out, n_networks=n_networks), pool]
        names += [f"conv{i}", f"relu{i}", f"pool{i}"]
        shape = pool.out_shape
    fc = Affine(
        math.prod(shape), check_positive_int(hidden, "the hidden width"), n_networks=n_networks
    )
    stages += [fc, Activation("relu", hidden, n_networks=n_networks)]
    names += ["fc", "relu_fc"]
    if isinstance(head, dict):  # options of a k-NN head (isotopy.knn registers its type)
        head = {"type": "knn", **head}
    return Network.from_stages(stages, n_classes, names=names, seed=seed, head=head)
