"""Builders for paper 003: N. Jomeau, E. Rajaonson, S. Dandjee, "Convolutional Neural Networks Performance Assessment
to Classify Grayscale Pictures of Two Digits" (§III, Models).

Input: a pair of 14×14 digits as a (14, 14, 2) image; target 1 when the first digit ≤ the second. Every model has
about 70,000 parameters, ReLU after each hidden layer, and is trained with mean squared error.

Our choices where the paper is vague (PyTorch layer sizes translated to Keras, channels last):

- convolutions are "valid" (PyTorch's padding 0): three 2×2 convolutions and a 2×2 pool make the "800 input units";
- Simple CNN: the explicit sizes 800 → 75 → 75 → 75 → 1 (77,903 parameters), though "3 linear layers" counts three;
- the outputs a loss sees are linear: the pair score (MSE against 0/1; "≤" when above 0.5) and the towers' 10 digit
  scores (MSE against one-hot classes in the auxiliary loss). CNNws2/CNNaux apply ReLU to the concatenated digit
  scores before the comparison head.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from mnist_studies.models import checks

PAIR_SHAPE = (14, 14, 2)
DIGIT_SHAPE = (14, 14, 1)


@keras.saving.register_keras_serializable(package="mnist_studies")
class SelectChannel(keras.layers.Layer):
    """Keeps one channel of a (..., C) tensor as (..., 1): splits a digit pair into its two digits."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, inputs):
        return inputs[..., self.index : self.index + 1]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {**super().get_config(), "index": self.index}


def _check_shape(input_shape, channels: int) -> tuple:
    return checks.image_shape(input_shape, min_size=8, channels=channels)


def _conv_features(x, prefix: str, filters: Sequence[int] = (16, 32, 32)):
    """Three 2×2 valid convolutions with ReLU and a 2×2 max pool, flattened (800 features on 14×14 input)."""
    for i, width in enumerate(filters, start=1):
        x = keras.layers.Conv2D(width, 2, activation="relu", name=f"{prefix}conv{i}")(x)
    x = keras.layers.MaxPooling2D(2, name=f"{prefix}pool")(x)
    return keras.layers.Flatten(name=f"{prefix}flatten")(x)


def _dense_stack(x, widths: Sequence[int], prefix: str):
    for i, width in enumerate(widths, start=1):
        x = keras.layers.Dense(width, activation="relu", name=f"{prefix}fc{i}")(x)
    return x


def build_simple_cnn(input_shape: Sequence[int] = PAIR_SHAPE, *, hidden_units: Sequence[int] = (75, 75, 75),
                     name: str = "simple_cnn") -> keras.Model:
    """Paper 003, §III "Simple CNN": conv(16, 32, 32; 2×2) → max pool 2 → 800 → 75 → 75 → 75 → 1 (77,903 params)."""
    inputs = keras.Input(shape=_check_shape(input_shape, 2), name="digit_pair")
    x = _dense_stack(_conv_features(inputs, ""), hidden_units, "")
    outputs = keras.layers.Dense(1, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_cnn_ws1(input_shape: Sequence[int] = PAIR_SHAPE, *, units: int = 75, repeats: int = 3,
                  name: str = "cnn_ws1") -> keras.Model:
    """Paper 003, §III "CNNws1" (sequential weight sharing): the conv features → 800 → 75, then *one* 75 → 75 layer
    applied ``repeats`` (3) times, then 75 → 1 (72,203 parameters)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    inputs = keras.Input(shape=_check_shape(input_shape, 2), name="digit_pair")
    x = keras.layers.Dense(units, activation="relu", name="fc_in")(_conv_features(inputs, ""))
    shared = keras.layers.Dense(units, activation="relu", name="fc_shared")
    for _ in range(repeats):
        x = shared(x)
    outputs = keras.layers.Dense(1, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_digit_tower(input_shape: Sequence[int] = DIGIT_SHAPE, *, hidden_units: Sequence[int] = (50, 50),
                      name: str = "digit_tower") -> keras.Model:
    """The siamese tower of CNNws2/CNNaux: one 14×14 digit → conv features → 800 → 50 → 50 → 10 digit scores."""
    inputs = keras.Input(shape=_check_shape(input_shape, 1), name="digit")
    x = _dense_stack(_conv_features(inputs, ""), hidden_units, "")
    outputs = keras.layers.Dense(10, name="digit_scores")(x)
    return keras.Model(inputs, outputs, name=name)


def _siamese(input_shape, head_units, name, with_digits: bool) -> keras.Model:
    shape = _check_shape(input_shape, 2)
    inputs = keras.Input(shape=shape, name="digit_pair")
    tower = build_digit_tower((*shape[:2], 1))  # one tower, applied to both digits: parallel weight sharing
    first = SelectChannel(0, name="first_digit")(inputs)
    second = SelectChannel(1, name="second_digit")(inputs)
    scores = [tower(first), tower(second)]
    x = keras.layers.Concatenate(name="both_scores")(scores)
    x = keras.layers.ReLU(name="scores_relu")(x)
    x = _dense_stack(x, head_units, "head_")
    pair = keras.layers.Dense(1, name="pair")(x)
    if not with_digits:
        return keras.Model(inputs, pair, name=name)
    digits = keras.layers.Concatenate(axis=1, name="digits")(
        [keras.layers.Reshape((1, 10), name=f"digit{i}_scores")(s) for i, s in enumerate(scores, start=1)])
    return keras.Model(inputs, {"pair": pair, "digits": digits}, name=name)


def build_cnn_ws2(input_shape: Sequence[int] = PAIR_SHAPE, *, head_units: Sequence[int] = (50, 50, 50),
                  name: str = "cnn_ws2") -> keras.Model:
    """Paper 003, §III "CNNws2" (siamese, parallel weight sharing): both digits through the same tower
    (``build_digit_tower``) to 10 scores each, concatenated (20) → 50 → 50 → 50 → 1 (55,599 parameters)."""
    return _siamese(input_shape, head_units, name, with_digits=False)


def build_cnn_aux(input_shape: Sequence[int] = PAIR_SHAPE, *, head_units: Sequence[int] = (50, 50, 50),
                  name: str = "cnn_aux") -> keras.Model:
    """Paper 003, §III "CNNaux": CNNws2 whose digit scores are a second output for the auxiliary loss.

    Outputs a dict: ``"pair"`` (N, 1) and ``"digits"`` (N, 2, 10). The auxiliary weight α is a loss weight, given
    when compiling: ``pair_losses(alpha)``. With α = 0 it trains exactly like CNNws2.
    """
    return _siamese(input_shape, head_units, name, with_digits=True)


def build_digit_cnn(input_shape: Sequence[int] = DIGIT_SHAPE, *, filters: Sequence[int] = (8, 16),
                    hidden_units: Sequence[int] = (100, 200, 100), name: str = "digit_cnn") -> keras.Model:
    """Paper 003, §III "CNNd": a digit classifier, conv(8, 3×3) → max pool 2 → conv(16, 3×3) → 256 → 100 → 200 →
    100 → 10 (68,258 parameters). A pair is predicted by comparing the two predicted classes
    (``predict_pairs_with_digit_model``)."""
    inputs = keras.Input(shape=_check_shape(input_shape, 1), name="digit")
    x = keras.layers.Conv2D(filters[0], 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(filters[1], 3, activation="relu", name="conv2")(x)
    x = _dense_stack(keras.layers.Flatten(name="flatten")(x), hidden_units, "")
    outputs = keras.layers.Dense(10, name="digit_scores")(x)
    return keras.Model(inputs, outputs, name=name)


def pair_losses(alpha: float) -> dict:
    """Compile arguments for ``build_cnn_aux``: MSE on both outputs, the digit term weighted by ``alpha``."""
    if alpha < 0:
        raise ValueError(f"the auxiliary weight alpha must be >= 0, got {alpha!r}")
    return {"loss": {"pair": "mse", "digits": "mse"}, "loss_weights": {"pair": 1.0, "digits": float(alpha)}}


BUILDERS = {
    "simple": build_simple_cnn,
    "ws1": build_cnn_ws1,
    "ws2": build_cnn_ws2,
    "aux": build_cnn_aux,
    "digit": build_digit_cnn,
}
