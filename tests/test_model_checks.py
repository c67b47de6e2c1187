"""Every builder refuses bad arguments with one line naming the argument, before any layer is made."""

import numpy as np
import pytest

from mnist_studies.models import checks, digit_pairs, lenet5, resnet, separate_kernels, training_choices

BUILDERS_WITH_CLASSES = [training_choices.build_cnn, training_choices.build_mlp, lenet5.build_lenet5,
                         lenet5.build_improved_lenet5, resnet.build_resnet, resnet.build_two_layer_cnn,
                         separate_kernels.build_comprehensive_classifier]


@pytest.mark.parametrize("build", BUILDERS_WITH_CLASSES, ids=lambda b: f"{b.__module__.split('.')[-1]}.{b.__name__}")
def test_builders_refuse_a_bad_shape_or_class_count(build):
    with pytest.raises(ValueError, match=r"^input_shape must be \(height.*got \(28, 28\)$"):
        build(input_shape=(28, 28))
    with pytest.raises(ValueError, match="^num_classes must be at least 2, got 1$"):
        build(num_classes=1)


def test_the_digit_pair_builders_ask_for_their_channel_count():
    with pytest.raises(ValueError, match=r"\(height >= 8, width >= 8, 2\), got \(14, 14, 1\)"):
        digit_pairs.build_simple_cnn(input_shape=(14, 14, 1))
    with pytest.raises(ValueError, match=r"\(height >= 8, width >= 8, 1\)"):
        digit_pairs.build_digit_cnn(input_shape=(14, 14, 2))


def test_shape_checks_accept_numpy_integers_and_refuse_zero_sizes():
    assert checks.image_shape(np.array([28, 28, 1])) == (28, 28, 1)
    with pytest.raises(ValueError, match="got \\(0, 28, 1\\)"):
        checks.image_shape((0, 28, 1))
    with pytest.raises(ValueError, match="height >= 20"):
        checks.image_shape((16, 16, 1), min_size=20)
    assert checks.choice("relu", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match="^unknown activation 'gelu'; valid activations: relu, tanh$"):
        checks.choice("gelu", ("relu", "tanh"))
