"""The page reader's own digit classifier (not one of the five papers' networks).

Paper 004 (Lu & Ke) reads pages with its improved LeNet-5 (0.90% MNIST test error in its paper profile). The model
that ships with the command line (the mean of two of these, ``build_ensemble``; ``segmentation/train/`` trains
them) must do better than 0.5% and hold up to what pages do to digits, so it is a deeper all-convolutional network
in the style of the improved LeNet-5 (ReLU, dropout, softmax output) with batch normalization:

    2 × [conv 3×3, conv 3×3, conv 5×5 stride 2] with 32 then 64 filters, each conv followed by batch normalization
    and ReLU, dropout after each block; conv 4×4 with 128 filters; dropout; 10-way softmax.

This layout is a well-known strong MNIST recipe (about 0.3-0.4% test error with augmentation); 326,826 parameters
(batch-norm statistics included).
"""

from __future__ import annotations

import keras

from mnist_studies.models import checks
from mnist_studies.models.ensemble import build_mean


def build_digit_reader(
    *,
    input_shape=(28, 28, 1),
    num_classes: int = 10,
    filters=(32, 64),
    head_filters: int = 128,
    dropout: float = 0.4,
    name: str = "digit_reader",
) -> keras.Model:
    """The page reader's digit classifier (module docstring). Input: 28×28×1 images in [0, 1], white ink on black.

    Args:
        input_shape: (height, width, 1); at least 28×28 (the two blocks and the 4×4 head need it).
        num_classes: number of output classes (softmax).
        filters: the filters of each block (three convs each; the last one halves the map).
        head_filters: filters of the final 4×4 convolution.
        dropout: the rate after each block and before the output layer.
    """
    shape = checks.image_shape(input_shape, min_size=28, channels=1)
    checks.num_classes(num_classes)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if not filters or any(int(f) <= 0 for f in filters) or head_filters <= 0:
        raise ValueError(f"filters and head_filters must be positive, got {filters!r} and {head_filters!r}")

    def conv(x, n, size, strides=1, padding="valid"):
        x = keras.layers.Conv2D(n, size, strides=strides, padding=padding, use_bias=False)(x)
        return keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))

    inputs = keras.Input(shape)
    x = inputs
    for n in filters:
        x = conv(x, n, 3)
        x = conv(x, n, 3)
        x = conv(x, n, 5, strides=2, padding="same")
        x = keras.layers.Dropout(dropout)(x)
    x = conv(x, head_filters, 4)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def build_ensemble(members, *, name: str = "digit_reader_ensemble") -> keras.Model:
    """The mean of several trained digit readers' class probabilities, as one model (``models.ensemble.build_mean``).

    The shipped mean makes fewer MNIST test errors than any of its members alone (docs/experiments.md). Not one of
    the papers' networks.

    Args:
        members: two or more ``keras.Model`` with the same input and output shapes (probabilities).
    """
    return build_mean(members, name=name, output_name="mean_probabilities")
