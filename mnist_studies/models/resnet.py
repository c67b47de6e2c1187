"""Builders for paper 001: S. Fan, "Classifying Handwritten Numbers Using Convolutional Neural Networks".

- ``build_resnet``: the paper's "ResNet18" (its Figure 1): ``conv1`` (3×3 conv + batch norm + ReLU) to 64 channels,
  ``block1`` = three basic blocks, ``block2`` and ``block3`` = a projection block (``Basic_Block1``: changes the
  channel count and halves the resolution) followed by two basic blocks, global average pooling, a 10-way dense
  layer. That is 9 residual additions and 2 projection shortcuts, with widths 64/128/256 — *not* the canonical
  ResNet-18 (four stages of two blocks, 64–512 channels, 8 additions, 3 projections), which is offered as the named
  layout ``"resnet18"`` (``build_resnet(**RESNET_LAYOUTS["resnet18"])``).
- ``build_two_layer_cnn``: the network of the paper's conclusion: a 5×5 conv layer, a 3×3 conv layer, pooling.

Our choices where the paper is silent: the stem is a 3×3 convolution with stride 1 (the input is 28×28, and the
paper converts 1 to 64 channels in ``conv1`` without a max pool), a basic block is conv-BN-ReLU-conv-BN, then the
addition and a ReLU (He et al.), projection shortcuts are 1×1 convolutions with stride 2 and batch norm. The two
convolutions of the two-layer CNN have 32 and 64 filters, each followed by ReLU and a 2×2 max pool.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from mnist_studies.models import checks

RESNET_LAYOUTS = {
    "paper": {"blocks_per_stage": (3, 3, 3), "widths": (64, 128, 256)},
    "resnet18": {"blocks_per_stage": (2, 2, 2, 2), "widths": (64, 128, 256, 512)},
}


def _basic_block(x, width: int, stride: int, name: str, bn_momentum: float):
    """Two 3×3 conv + BN, an identity (or, when the shape changes, a 1×1 projection) shortcut, add, ReLU."""
    shortcut = x
    y = keras.layers.Conv2D(width, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn1")(y)
    y = keras.layers.ReLU(name=f"{name}_relu1")(y)
    y = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != width:
        shortcut = keras.layers.Conv2D(width, 1, strides=stride, use_bias=False, name=f"{name}_proj_conv")(x)
        shortcut = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_proj_bn")(shortcut)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def build_resnet(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    blocks_per_stage: Sequence[int] = (3, 3, 3),
    widths: Sequence[int] = (64, 128, 256),
    bn_momentum: float = 0.9,
    name: str | None = None,
) -> keras.Model:
    """The residual network of paper 001 (§3, Figure 1), or the canonical ResNet-18 layout.

    Args:
        input_shape: (height, width, channels). Default (28, 28, 1).
        num_classes: softmax outputs. Default 10.
        blocks_per_stage: basic blocks in each stage; every stage after the first starts with a projection block
            that halves the resolution. Default (3, 3, 3), the paper's. ``RESNET_LAYOUTS["resnet18"]``: (2, 2, 2, 2).
        widths: channels of each stage; the stem has ``widths[0]``. Default (64, 128, 256).
        bn_momentum: momentum of the batch-norm moving statistics. Default 0.9, PyTorch's default (its
            ``momentum=0.1``; the paper used PyTorch); Keras' 0.99 leaves the statistics unsettled after short runs.
        name: model name. Default ``"resnet_paper"`` for the paper's layout, ``"resnet18"`` for the canonical one,
            else ``"resnet"``.

    Layer names are stable: ``stage2_block1_conv1``, ``stage2_block1_proj_conv``, ``stage2_block1_add`` …
    """
    checks.image_shape(input_shape)
    checks.num_classes(num_classes)
    if len(blocks_per_stage) != len(widths) or not blocks_per_stage or min(blocks_per_stage) < 1:
        raise ValueError(f"blocks_per_stage {tuple(blocks_per_stage)} and widths {tuple(widths)} must be non-empty, "
                         "of the same length, with at least one block per stage")
    if name is None:
        layout = {"blocks_per_stage": tuple(blocks_per_stage), "widths": tuple(widths)}
        name = next((f"resnet_{k}" if k == "paper" else k for k, v in RESNET_LAYOUTS.items() if v == layout),
                    "resnet")
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="conv1_conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name="conv1_bn")(x)
    x = keras.layers.ReLU(name="conv1_relu")(x)
    for stage, (blocks, width) in enumerate(zip(blocks_per_stage, widths), start=1):
        for block in range(1, blocks + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            x = _basic_block(x, width, stride, f"stage{stage}_block{block}", bn_momentum)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="fc")(x)
    return keras.Model(inputs, outputs, name=name)


def build_two_layer_cnn(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    filters: Sequence[int] = (32, 64),
    name: str = "two_layer_cnn",
) -> keras.Model:
    """The two-layer CNN of paper 001's conclusion (§4): Conv2D(5×5) → MaxPool(2) → Conv2D(3×3) → MaxPool(2) →
    Flatten → Dense(softmax). 35,338 parameters with the defaults on 28×28×1 (the filter counts are our choice)."""
    checks.image_shape(input_shape)
    checks.num_classes(num_classes)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Conv2D(filters[0], 5, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(filters[1], 3, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="fc")(x)
    return keras.Model(inputs, outputs, name=name)


BUILDERS = {
    "resnet_paper": lambda **kw: build_resnet(**RESNET_LAYOUTS["paper"], **kw),
    "resnet18": lambda **kw: build_resnet(**RESNET_LAYOUTS["resnet18"], **kw),
    "two_layer_cnn": build_two_layer_cnn,
}
