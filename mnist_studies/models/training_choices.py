"""Builders for paper 002: M. J. Ranjbar, report on training simple handwritten digit recognizers (MLP vs CNN,
SGD vs Adam, learning rates, ReLU vs sigmoid).

- ``build_cnn``: the paper's CNN (§3, Figures 8–12 and the summary in Figure 16): Conv2D(32, 3×3, same) → MaxPool(2)
  → Conv2D(64, 3×3, same) → MaxPool(2) → Flatten → Dense(128) → Dense(10, softmax); exactly 421,642 parameters.
- ``build_mlp``: the paper trains an MLP too but never gives its layers. Our choice: two hidden layers of 512 and
  128 units (468,874 parameters on 28×28 inputs, close to the CNN's 421,642, so the comparison is at a similar
  parameter budget).

In both, ``activation`` ("relu" or "sigmoid") applies to every hidden layer; the output is always softmax.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from mnist_studies.models import checks

ACTIVATIONS = ("relu", "sigmoid")


def _check(input_shape, num_classes, activation):
    checks.image_shape(input_shape)
    checks.num_classes(num_classes)
    checks.choice(activation, ACTIVATIONS)


def build_cnn(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    activation: str = "relu",
    filters: Sequence[int] = (32, 64),
    dense_units: int = 128,
    name: str | None = None,
) -> keras.Model:
    """The CNN of paper 002 (§3, Figure 16: 421,642 parameters with the defaults on 28×28×1).

    Args:
        input_shape: (height, width, channels). Default (28, 28, 1).
        num_classes: softmax outputs. Default 10.
        activation: ``"relu"`` (the paper's code) or ``"sigmoid"``, for the conv and hidden dense layers.
        filters: kernels of the two 3×3 "same" conv layers. Default (32, 64).
        dense_units: units of the hidden dense layer. Default 128.
        name: model name. Default ``"cnn_<activation>"``.
    """
    _check(input_shape, num_classes, activation)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for i, width in enumerate(filters, start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", activation=activation, name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(dense_units, activation=activation, name="dense")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name or f"cnn_{activation}")


def build_mlp(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    activation: str = "relu",
    hidden_units: Sequence[int] = (512, 128),
    name: str | None = None,
) -> keras.Model:
    """An MLP for paper 002, which does not give its layers (our choice: hidden layers of 512 and 128 units).

    Args:
        input_shape: (height, width, channels); the image is flattened. Default (28, 28, 1).
        num_classes: softmax outputs. Default 10.
        activation: ``"relu"`` or ``"sigmoid"`` for the hidden layers.
        hidden_units: widths of the hidden layers. Default (512, 128).
        name: model name. Default ``"mlp_<activation>"``.
    """
    _check(input_shape, num_classes, activation)
    if not hidden_units or min(hidden_units) < 1:
        raise ValueError(f"hidden_units must be positive widths, got {hidden_units!r}")
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for i, width in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(width, activation=activation, name=f"hidden{i}")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name or f"mlp_{activation}")


BUILDERS = {"mlp": build_mlp, "cnn": build_cnn}


def build(model: str, **kwargs) -> keras.Model:
    """Build ``"mlp"`` or ``"cnn"`` by name (the grid runner's entry point)."""
    if model not in BUILDERS:
        raise ValueError(f"unknown model {model!r}; valid models: {', '.join(BUILDERS)}")
    return BUILDERS[model](**kwargs)
