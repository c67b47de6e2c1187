"""Builders for paper 000: Z. Yang, "Enhancing Convolutional Neural Networks via separately trained kernels for
digit recognition" (2024), section 3.

Ten one-vs-rest binary CNNs (one conv layer with 3 kernels, sigmoid, flatten, dense) each pre-train 3 kernels; the
30 kernels are stacked into the conv layer of a 10-class "comprehensive" CNN of the same shape.

The paper leaves out several details; our choices, all parameters of the builders:

- kernel size 3×3, stride 1, no padding ("valid");
- the conv biases are transferred together with the kernels (``stack_kernels`` returns both);
- only the conv layer is transferred: the dense layer of the comprehensive model starts from its usual random
  initialization (the binary models' dense layers have a different shape, 2 outputs instead of 10);
- the binary output is a two-class softmax (the paper trains it with categorical cross-entropy).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from mnist_studies.models import checks

CONV_LAYER = "conv"
ACTIVATIONS = ("sigmoid", "relu", "tanh")


def _check(input_shape, num_classes: int, filters: int, kernel_size: int, activation: str) -> None:
    checks.image_shape(input_shape)
    checks.num_classes(num_classes)
    if filters < 1 or kernel_size < 1:
        raise ValueError(f"filters and kernel_size must be positive, got {filters!r} and {kernel_size!r}")
    if kernel_size > min(input_shape[:2]):
        raise ValueError(f"kernel_size {kernel_size} is larger than the input {tuple(input_shape[:2])}")
    checks.choice(activation, ACTIVATIONS)


def _conv_flatten_dense(input_shape, num_classes, filters, kernel_size, activation, name) -> keras.Model:
    _check(input_shape, num_classes, filters, kernel_size, activation)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Conv2D(filters, kernel_size, activation=activation, name=CONV_LAYER)(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_binary_classifier(
    input_shape: Sequence[int] = (28, 28, 1),
    *,
    filters: int = 3,
    kernel_size: int = 3,
    activation: str = "sigmoid",
    name: str = "binary_classifier",
) -> keras.Model:
    """One-vs-rest classifier of paper 000, §3.2: Conv2D(3 kernels, sigmoid) → Flatten → Dense(2, softmax).

    Args:
        input_shape: (height, width, channels) of the images. Default (28, 28, 1).
        filters: kernels in the conv layer. Default 3 (the paper).
        kernel_size: side of the square kernels. Default 3 (our choice; the paper does not say).
        activation: ``"sigmoid"`` (the paper's best), ``"relu"`` or ``"tanh"``.
        name: model name, e.g. ``"binary_classifier_7"``.

    Returns:
        An uncompiled ``keras.Model`` with two softmax outputs (not digit, digit); its conv layer is named ``"conv"``.
    """
    return _conv_flatten_dense(input_shape, 2, filters, kernel_size, activation, name)


def build_comprehensive_classifier(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    filters: int = 30,
    kernel_size: int = 3,
    activation: str = "sigmoid",
    initial_kernels: np.ndarray | None = None,
    initial_biases: np.ndarray | None = None,
    name: str | None = None,
) -> keras.Model:
    """The 10-class classifier of paper 000, §3.3: Conv2D(30, sigmoid) → Flatten → Dense(10, softmax).

    Without ``initial_kernels`` it is the paper's "conventional model"; with them, the conv layer starts from the
    stacked kernels of the ten binary classifiers (``stack_kernels``).

    Args:
        input_shape, num_classes: default (28, 28, 1) and 10.
        filters, kernel_size: default 30 (ten binary models × 3 kernels) and 3 (our choice).
        activation: ``"sigmoid"``, ``"relu"`` or ``"tanh"``.
        initial_kernels, initial_biases: arrays of shape (k, k, channels, filters) and (filters,), or None.
        name: default ``"comprehensive_pretrained"`` with kernels, else ``"comprehensive_conventional"``.

    Raises:
        ValueError: the kernels or biases do not fit the conv layer (the message gives both shapes).
    """
    if name is None:
        name = "comprehensive_pretrained" if initial_kernels is not None else "comprehensive_conventional"
    model = _conv_flatten_dense(input_shape, num_classes, filters, kernel_size, activation, name)
    conv = model.get_layer(CONV_LAYER)
    if initial_kernels is not None:
        initial_kernels = np.asarray(initial_kernels, dtype="float32")
        expected = tuple(conv.kernel.shape)
        if initial_kernels.shape != expected:
            raise ValueError(
                f"initial_kernels has shape {initial_kernels.shape}, but the conv layer needs {expected} "
                f"(kernel_size, kernel_size, channels, filters)"
            )
        conv.kernel.assign(initial_kernels)
    if initial_biases is not None:
        initial_biases = np.asarray(initial_biases, dtype="float32")
        if initial_biases.shape != tuple(conv.bias.shape):
            raise ValueError(f"initial_biases has shape {initial_biases.shape}, the conv layer needs {(filters,)}")
        conv.bias.assign(initial_biases)
    return model


def stack_kernels(binary_models: Sequence[keras.Model]) -> tuple[np.ndarray, np.ndarray]:
    """Extract the conv kernels and biases of the binary models and stack them along the filter axis.

    Model i contributes filters ``[i * f, (i + 1) * f)`` where f is its number of kernels.

    Returns:
        ``(kernels, biases)`` of shapes (k, k, channels, n_models * f) and (n_models * f,).

    Raises:
        ValueError: no models, a model without a conv layer named ``"conv"``, or kernels of different shapes.
    """
    if len(binary_models) == 0:
        raise ValueError("stack_kernels needs at least one binary model")
    kernels, biases = [], []
    for i, model in enumerate(binary_models):
        try:
            conv = model.get_layer(CONV_LAYER)
        except ValueError:
            raise ValueError(f"binary model {i} ({model.name!r}) has no conv layer named {CONV_LAYER!r}") from None
        kernel = keras.ops.convert_to_numpy(conv.kernel)
        if kernels and kernel.shape != kernels[0].shape:
            raise ValueError(
                f"binary model {i} ({model.name!r}) has kernels of shape {kernel.shape}, "
                f"but model 0 has {kernels[0].shape}: all binary models must share kernel size and channels"
            )
        kernels.append(kernel)
        biases.append(keras.ops.convert_to_numpy(conv.bias) if conv.use_bias else np.zeros(kernel.shape[-1]))
    return np.concatenate(kernels, axis=-1), np.concatenate(biases).astype("float32")


def build_packed_binary_classifiers(
    input_shape: Sequence[int] = (28, 28, 1),
    num_models: int = 10,
    *,
    filters: int = 3,
    kernel_size: int = 3,
    activation: str = "sigmoid",
    name: str = "packed_binary_classifiers",
) -> keras.Model:
    """``num_models`` binary classifiers of ``build_binary_classifier`` packed into one model, for fast training.

    One Conv2D with ``num_models * filters`` kernels (model i owns kernels ``[i * filters, (i + 1) * filters)``), then
    for each model its own dense layer (an ``EinsumDense`` with a separate weight matrix per model) and a two-class
    softmax. Output shape: (batch, num_models, 2). No parameter is shared between the models, so training this
    model on the sum (or mean) of the binary losses trains every binary model on its own loss only; use
    ``unpack_binary_classifiers`` to get the separate models back.
    """
    _check(input_shape, 2, filters, kernel_size, activation)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Conv2D(num_models * filters, kernel_size, activation=activation, name=CONV_LAYER)(inputs)
    height, width = x.shape[1], x.shape[2]
    # (h, w, models * filters) -> (models, h * w * filters), in the order each binary model's Flatten uses
    x = keras.layers.Reshape((height * width, num_models, filters), name="split_models")(x)
    x = keras.layers.Permute((2, 1, 3), name="models_first")(x)
    x = keras.layers.Reshape((num_models, height * width * filters), name="flatten")(x)
    outputs = keras.layers.EinsumDense("bmk,mko->bmo", output_shape=(num_models, 2), bias_axes="mo",
                                       activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def unpack_binary_classifiers(packed: keras.Model, *, activation: str | None = None) -> list[keras.Model]:
    """Split a model from ``build_packed_binary_classifiers`` into separate ``build_binary_classifier`` models with
    the same weights (model i is named ``binary_classifier_i``)."""
    conv = packed.get_layer(CONV_LAYER)
    dense_kernel, dense_bias = (keras.ops.convert_to_numpy(w) for w in packed.get_layer("output").weights)
    num_models = dense_kernel.shape[0]
    filters = conv.filters // num_models
    kernel = keras.ops.convert_to_numpy(conv.kernel)
    bias = keras.ops.convert_to_numpy(conv.bias)
    models = []
    for i in range(num_models):
        model = build_binary_classifier(
            packed.input_shape[1:],
            filters=filters,
            kernel_size=conv.kernel_size[0],
            activation=activation or keras.activations.serialize(conv.activation),
            name=f"binary_classifier_{i}",
        )
        part = slice(i * filters, (i + 1) * filters)
        model.get_layer(CONV_LAYER).set_weights([kernel[..., part], bias[part]])
        model.get_layer("output").set_weights([dense_kernel[i], dense_bias[i]])
        models.append(model)
    return models
