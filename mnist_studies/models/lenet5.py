"""Builders for paper 004: M. Lu, N. Ke, "LeNet-5 handwritten digit recognition based on deep learning".

- ``build_lenet5``: the classic LeNet-5 (§2.2) on 32×32 input, sigmoid by default: 61,706 parameters with full C3
  connections, or LeCun's C3 connection table (``c3="lecun"``).
- ``build_improved_lenet5``: §3's network: C1 as two 3×3 convolutions, ReLU/LeakyReLU, 32 kernels per layer,
  spatial pyramid pooling in place of S4, a dense layer in place of C5, dropout, softmax (126,974 parameters);
  optionally §4.2's deformed training samples.

Our choices where the paper is vague: average pooling in the classic model, max pooling in the improved one; both
3×3 convolutions with ``filters`` kernels and the activation between them; dense 120 and F6 84; dropout 0.5;
LeakyReLU slope 0.1; deformations of up to ±8°, ±10% zoom and ±2 px shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from mnist_studies.models import checks

# LeCun et al. (1998), Table I: which S2 maps (rows 0-5) each C3 map (columns 0-15) is connected to
LECUN_C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")


@keras.saving.register_keras_serializable(package="mnist_studies")
class SpatialPyramidPooling(keras.layers.Layer):
    """Spatial pyramid pooling (He et al., 2014): max-pool the feature map into an n×n grid for each level n and
    concatenate, giving ``channels * sum(n * n)`` features whatever the map size (21 bins per channel for the
    default levels 4, 2, 1).

    Bin i of n along a side of length L covers ``[floor(i * L / n), ceil((i + 1) * L / n))``: every bin is non-empty
    and there are exactly n of them even when L is small or not divisible by n, where the usual
    window = ceil(L / n), stride = floor(L / n) recipe gives the wrong count (e.g. L = 5, n = 4 gives 3 bins).
    """

    def __init__(self, levels: Sequence[int] = (4, 2, 1), pooling: str = "max", **kwargs):
        super().__init__(**kwargs)
        self.levels = tuple(int(n) for n in levels)
        if not self.levels or min(self.levels) < 1:
            raise ValueError(f"levels must be positive integers, got {levels!r}")
        if pooling not in ("max", "average"):
            raise ValueError(f"pooling must be 'max' or 'average', got {pooling!r}")
        self.pooling = pooling

    @staticmethod
    def bin_edges(length: int, bins: int) -> list[tuple[int, int]]:
        """The [start, end) index range of each of ``bins`` bins along a side of ``length``."""
        return [(int(np.floor(i * length / bins)), int(np.ceil((i + 1) * length / bins))) for i in range(bins)]

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        if height is None or width is None:
            raise ValueError("SpatialPyramidPooling needs a known feature-map height and width")
        reduce = keras.ops.max if self.pooling == "max" else keras.ops.mean
        features = []
        for n in self.levels:
            for y0, y1 in self.bin_edges(height, n):
                for x0, x1 in self.bin_edges(width, n):
                    features.append(reduce(inputs[:, y0:y1, x0:x1, :], axis=(1, 2)))
        return keras.ops.concatenate(features, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] * sum(n * n for n in self.levels))

    def get_config(self):
        return {**super().get_config(), "levels": list(self.levels), "pooling": self.pooling}


@keras.saving.register_keras_serializable(package="mnist_studies")
class LeNetC3(keras.layers.Layer):
    """LeNet-5's C3 with LeCun's partial connection table: 16 maps, each a 5×5 valid convolution over its own subset
    of the 6 input maps (1,516 parameters: 60 connections × 25 weights + 16 biases)."""

    def __init__(self, kernel_size: int = 5, activation: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = int(kernel_size)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        if input_shape[-1] != 6:
            raise ValueError(f"LeNetC3 expects 6 input maps (S2), got {input_shape[-1]}")
        k = self.kernel_size
        self.kernels = [self.add_weight(shape=(k, k, len(maps), 1), initializer="glorot_uniform", name=f"kernel_{j}")
                        for j, maps in enumerate(LECUN_C3_TABLE)]
        self.bias = self.add_weight(shape=(len(LECUN_C3_TABLE),), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = []
        for maps, kernel in zip(LECUN_C3_TABLE, self.kernels):
            selected = keras.ops.take(inputs, list(maps), axis=-1)
            outputs.append(keras.ops.conv(selected, kernel, padding="valid"))
        return self.activation(keras.ops.concatenate(outputs, axis=-1) + self.bias)

    def compute_output_shape(self, input_shape):
        k = self.kernel_size - 1
        return (input_shape[0], input_shape[1] - k, input_shape[2] - k, len(LECUN_C3_TABLE))

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size,
                "activation": keras.activations.serialize(self.activation)}


def _activation(name: str):
    checks.choice(name, ACTIVATIONS)
    return keras.layers.LeakyReLU(negative_slope=0.1) if name == "leaky_relu" else keras.layers.Activation(name)


def _check(input_shape, num_classes):
    checks.num_classes(num_classes)
    return checks.image_shape(input_shape, min_size=20)


def build_lenet5(
    input_shape: Sequence[int] = (32, 32, 1),
    num_classes: int = 10,
    *,
    activation: str = "sigmoid",
    c3: str = "full",
    name: str | None = None,
) -> keras.Model:
    """Classic LeNet-5 (paper 004, §2.2): C1 6@5×5 → S2 avg 2 → C3 16@5×5 → S4 avg 2 → C5 120@5×5 → F6 84 → 10.

    Args:
        input_shape: (height, width, channels). Default (32, 32, 1): MNIST padded to 32×32 (``data.pad_to_32``).
        num_classes: softmax outputs. Default 10.
        activation: of every hidden layer: ``"sigmoid"`` (the paper's "original model"), ``"tanh"``, ``"relu"``,
            ``"leaky_relu"``.
        c3: ``"full"`` (every C3 map sees all 6 S2 maps: the modern form, 61,706 parameters) or ``"lecun"``
            (LeCun's connection table, C3 has 1,516 parameters; 60,806 in all).
        name: model name. Default ``"lenet5"`` or ``"lenet5_lecun_c3"``.
    """
    shape = _check(input_shape, num_classes)
    if c3 not in ("full", "lecun"):
        raise ValueError(f"c3 must be 'full' or 'lecun', got {c3!r}")
    _activation(activation)
    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Conv2D(6, 5, name="c1")(inputs)
    x = _activation(activation)(x)
    x = keras.layers.AveragePooling2D(2, name="s2")(x)
    if c3 == "full":
        x = keras.layers.Conv2D(16, 5, name="c3")(x)
    else:
        x = LeNetC3(name="c3")(x)
    x = _activation(activation)(x)
    x = keras.layers.AveragePooling2D(2, name="s4")(x)
    x = keras.layers.Conv2D(120, x.shape[1], name="c5")(x)  # 5×5 on 32×32 input: a full connection
    x = _activation(activation)(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(84, name="f6")(x)
    x = _activation(activation)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name or ("lenet5" if c3 == "full" else "lenet5_lecun_c3"))


def deformation_layers(rotation_degrees: float = 8.0, zoom: float = 0.1, shift_pixels: float = 2.0,
                       size: int = 32) -> list[keras.layers.Layer]:
    """§4.2's "moderately twisted and deformed" training samples: random rotation, zoom and shift (training only)."""
    return [
        keras.layers.RandomRotation(rotation_degrees / 360.0, fill_mode="constant", name="deform_rotate"),
        keras.layers.RandomZoom(zoom, fill_mode="constant", name="deform_zoom"),
        keras.layers.RandomTranslation(shift_pixels / size, shift_pixels / size, fill_mode="constant",
                                       name="deform_shift"),
    ]


def build_improved_lenet5(
    input_shape: Sequence[int] = (32, 32, 1),
    num_classes: int = 10,
    *,
    activation: str = "leaky_relu",
    filters: int = 32,
    spp_levels: Sequence[int] | None = (4, 2, 1),
    dropout: float = 0.5,
    c1_kernels: Sequence[int] = (3, 3),
    deform: bool = False,
    name: str | None = None,
) -> keras.Model:
    """Improved LeNet-5 (paper 004, §3): every change can be switched off, which the ablation uses.

    C1 (``c1_kernels``: two 3×3, 32 → 30 → 28) → S2 max 2 → C3 5×5 → SPP(4, 2, 1) (or S4 + flatten) → dense 120 →
    F6 84 → dropout → softmax.

    Args:
        activation: ``"leaky_relu"`` (§3.4, default), ``"relu"`` (§3.2), ``"sigmoid"`` or ``"tanh"``.
        filters: kernels per conv layer, 32 (§3.2 (2)); None gives the classic 6 and 16.
        spp_levels: pyramid levels replacing S4, (4, 2, 1); None keeps S4.
        dropout: rate before the output layer, 0.5; 0 switches it off.
        c1_kernels: kernel sizes of C1's valid convolutions, (3, 3) (§3.2 (1)); (5,) is the classic C1.
        deform: random rotation/zoom/shift layers at the input, active only in training.
        input_shape, num_classes, name: (32, 32, 1), 10, ``"improved_lenet5"``.
    """
    shape = _check(input_shape, num_classes)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    c1, c3 = (6, 16) if filters is None else (filters, filters)
    kernels = tuple(int(k) for k in c1_kernels)
    if not kernels or min(kernels) < 2 or sum(k - 1 for k in kernels) != 4:
        raise ValueError(f"c1_kernels must shrink the map by 4 pixels like C1's 5×5 (e.g. (5,) or (3, 3)), "
                         f"got {c1_kernels!r}")
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    if deform:
        for layer in deformation_layers(size=shape[0]):
            x = layer(x)
    for i, size in enumerate(kernels):
        x = keras.layers.Conv2D(c1, size, name="c1" if len(kernels) == 1 else f"c1{'abcdefgh'[i]}")(x)
        x = _activation(activation)(x)
    x = keras.layers.MaxPooling2D(2, name="s2")(x)
    x = keras.layers.Conv2D(c3, 5, name="c3")(x)
    x = _activation(activation)(x)
    if spp_levels:
        x = SpatialPyramidPooling(spp_levels, name="spp")(x)
    else:
        x = keras.layers.MaxPooling2D(2, name="s4")(x)
        x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(120, name="fc5")(x)
    x = _activation(activation)(x)
    x = keras.layers.Dense(84, name="f6")(x)
    x = _activation(activation)(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name or "improved_lenet5")
