"""The page reader's reader of touching digits (not one of the papers' networks): a blob of digits that touch or
overlap, read as a sequence with no cut (a CRNN with the CTC loss: Shi, Bai and Yao, 2015).

    3 × [conv 3×3, conv 3×3, max pool] with 32, 64 and 128 filters, each conv followed by batch normalization and
    ReLU; the pools turn a 32 × 256 blob into 64 columns of 4 × 128 features; a dense layer of 128 (ReLU, dropout),
    a bidirectional LSTM of 2 × 96, and 11 logits per column: the CTC blank (class 0) and the digits (classes 1-10).

Why: paper 004 segments before it recognizes, and a 1 that overlaps both neighbours cannot be cut free by any
straight line. Input: a blob normalized by ``segmentation.sequence.normalize_blob`` (28 px tall, at most 252 wide,
in a 32 × 256 canvas), white ink on black. 528,363 parameters (batch-norm statistics included).
"""

from __future__ import annotations

import keras

from mnist_studies.models import checks
from mnist_studies.models.ensemble import build_mean

BLANK = 0  # the CTC blank; digit d is class d + 1


def build_row_reader(
    *,
    input_shape=(32, 256, 1),
    filters=(32, 64, 128),
    dense_units: int = 128,
    lstm_units: int = 96,
    dropout: float = 0.25,
    name: str = "row_reader",
) -> keras.Model:
    """The reader of touching digits (module docstring): logits (columns, 11) per blob, uncompiled (train it with
    ``keras.losses.CTC``; ``segmentation.sequence.read_blobs`` decodes it).

    Args:
        input_shape: (height, width, 1); height a multiple of 8, width of 4 (the pools).
        filters: the filters of the three conv blocks.
        dense_units: the per-column dense layer before the LSTM.
        lstm_units: units of each direction of the bidirectional LSTM.
        dropout: the rate after the per-column dense layer.
    """
    height, width, _ = checks.image_shape(input_shape, min_size=8, channels=1)
    if height % 8 or width % 4:
        raise ValueError(f"input_shape must have a height divisible by 8 and a width by 4, got {input_shape!r}")
    if len(filters) != 3 or any(int(f) <= 0 for f in filters) or dense_units <= 0 or lstm_units <= 0:
        raise ValueError(f"filters must be three positive counts and the units positive, got {filters!r}, "
                         f"{dense_units!r}, {lstm_units!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")

    def conv(x, n):
        x = keras.layers.Conv2D(n, 3, padding="same", use_bias=False)(x)
        return keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))

    inputs = keras.Input((height, width, 1))
    x = inputs
    for n, pool in zip(filters, ((2, 2), (2, 2), (2, 1))):
        x = keras.layers.MaxPooling2D(pool)(conv(conv(x, n), n))
    x = keras.layers.Permute((2, 1, 3))(x)  # columns first: (width / 4, height / 8, filters)
    x = keras.layers.Reshape((width // 4, (height // 8) * int(filters[-1])))(x)
    x = keras.layers.Dropout(dropout)(keras.layers.Dense(dense_units, activation="relu")(x))
    x = keras.layers.Bidirectional(keras.layers.LSTM(lstm_units, return_sequences=True))(x)
    outputs = keras.layers.Dense(11)(x)  # logits: the CTC loss and decoder take them unnormalized
    return keras.Model(inputs, outputs, name=name)


def build_row_ensemble(members, *, name: str = "row_reader_ensemble") -> keras.Model:
    """The mean of several trained row readers' logits, column by column, as one model
    (``models.ensemble.build_mean``): the product of their per-column probabilities, renormalized. Row readers
    trained on other rows disagree where one of them has not seen the writing (joined-up zeros, a closing "="); the
    mean of logits keeps their shared alignment (both halve the width twice), where the mean of probabilities
    blurs a digit's peak into two (docs/experiments.md, "A mean of two row readers").

    Args:
        members: two or more row readers (``build_row_reader``) with the same input and output shapes.
    """
    return build_mean(members, name=name, output_name="mean_logits")
