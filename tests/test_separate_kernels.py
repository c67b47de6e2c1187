import numpy as np
import pytest
from conftest import same_numbers

from mnist_studies import profiles, records
from mnist_studies.models import separate_kernels as sk
from mnist_studies.studies import separate_kernels as study


def test_builders_shapes_and_parameter_counts():
    binary = sk.build_binary_classifier()
    assert binary.output_shape == (None, 2)
    # conv: 3 kernels of 3x3 + 3 biases = 30; dense: 26*26*3 inputs -> 2 outputs = 4058
    assert binary.count_params() == 30 + 26 * 26 * 3 * 2 + 2
    comprehensive = sk.build_comprehensive_classifier()
    assert comprehensive.output_shape == (None, 10)
    assert comprehensive.count_params() == 300 + 26 * 26 * 30 * 10 + 10
    assert comprehensive.name == "comprehensive_conventional"
    assert not comprehensive.compiled


def test_stacked_kernels_are_the_binary_models_kernels():
    models = [sk.build_binary_classifier(name=f"b{d}") for d in range(10)]
    kernels, biases = sk.stack_kernels(models)
    assert kernels.shape == (3, 3, 1, 30) and biases.shape == (30,)
    for d, model in enumerate(models):
        kernel, bias = model.get_layer("conv").get_weights()
        np.testing.assert_array_equal(kernels[..., 3 * d : 3 * d + 3], kernel)
        np.testing.assert_array_equal(biases[3 * d : 3 * d + 3], bias)
    pretrained = sk.build_comprehensive_classifier(initial_kernels=kernels, initial_biases=biases)
    np.testing.assert_array_equal(pretrained.get_layer("conv").get_weights()[0], kernels)
    assert pretrained.name == "comprehensive_pretrained"


def test_a_kernel_stack_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"initial_kernels has shape \(3, 3, 1, 27\), but the conv layer needs "
                                         r"\(3, 3, 1, 30\)"):
        sk.build_comprehensive_classifier(initial_kernels=np.zeros((3, 3, 1, 27)))
    mixed = [sk.build_binary_classifier(name="a"), sk.build_binary_classifier(kernel_size=5, name="b")]
    with pytest.raises(ValueError, match=r"binary model 1 \('b'\) has kernels of shape \(5, 5, 1, 3\)"):
        sk.stack_kernels(mixed)
    with pytest.raises(ValueError, match="at least one binary model"):
        sk.stack_kernels([])


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "swish"}, "unknown activation 'swish'"),
    ({"input_shape": (28, 28)}, "input_shape must be"),
    ({"kernel_size": 40}, "larger than the input"),
])
def test_bad_builder_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sk.build_binary_classifier(**kwargs)


def test_packed_models_equal_their_unpacked_binary_models():
    packed = sk.build_packed_binary_classifiers(activation="tanh")
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    outputs = packed.predict(x, verbose=0)
    binaries = sk.unpack_binary_classifiers(packed)
    assert [m.name for m in binaries] == [f"binary_classifier_{d}" for d in range(10)]
    for d, model in enumerate(binaries):
        np.testing.assert_allclose(model.predict(x, verbose=0), outputs[:, d], atol=1e-5)


def test_one_vs_rest_targets():
    targets = study.one_vs_rest_targets(np.array([3, 0]))
    assert targets.shape == (2, 10, 2)
    assert targets[0, 3].tolist() == [0, 1] and targets[0, 4].tolist() == [1, 0]
    assert targets[1, 0].tolist() == [0, 1]


def test_verdict_rule():
    assert study.verdict([2.1, 1.9, 2.3]) == "reproduced"
    assert study.verdict([8.0, 9.5, 10.2]).startswith("partly")
    assert study.verdict([-0.2, 0.1, 0.0, -0.1, 0.2]) == "not reproduced"  # CI of the mean far below 1 point
    assert study.verdict([-3.0, -2.5, -3.2]) == "not reproduced"  # a significant loss
    assert study.verdict([-1.0, 1.2, 0.1]).startswith("inconclusive")  # 3 noisy seeds: CI from -2.6 to +2.8
    assert study.verdict([4.0, 20.0, 13.0]).startswith("inconclusive")  # a large but not significant gain
    assert study.verdict([2.0]) == "not tested (1 seed)"


@pytest.mark.slow
def test_smoke_run_learns_and_is_repeatable(isolated_outputs, fresh_runs):
    cfg = profiles.get_profile("separate_kernels", "smoke")
    cfg.update(activations=["relu"], binary_epochs=3, verbose=0)  # enough updates for the binary models to learn
    first = study.run_study(cfg, device="cpu")
    assert len(first) == 1
    metrics = first[0]["metrics"]
    assert metrics["pretrained_test_accuracy"] > 0.5 and metrics["conventional_test_accuracy"] > 0.5  # chance: 0.1
    assert np.mean(metrics["one_vs_rest_balanced_accuracy"]) > 0.6  # chance: 0.5
    on_disk = records.read_records("separate_kernels", "smoke")
    assert on_disk[0]["metrics"] == metrics and on_disk[0]["deterministic"] is True
    fresh_runs()  # recompute, do not reuse the record
    second = study.run_study(cfg, device="cpu")
    assert same_numbers(first, second)  # same seed, same numbers, to the last digit
    assert "| relu | 1 |" in study.format_summary(study.summarize(first))
