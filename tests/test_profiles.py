import re

import pytest

from mnist_studies import profiles


def test_every_study_defines_every_profile():
    for study, by_profile in profiles.PROFILES.items():
        assert set(by_profile) == set(profiles.PROFILE_NAMES), study


def test_unknown_profile_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown profile 'fast'; valid profiles: smoke, quick, paper"):
        profiles.get_profile("mnist_data", "fast")


def test_unknown_study_is_refused():
    with pytest.raises(ValueError, match="unknown study 'nope'"):
        profiles.get_profile("nope", "smoke")


def test_get_profile_returns_an_independent_copy():
    first = profiles.get_profile("mnist_data", "smoke")
    first["samples_per_class"] = 999
    assert profiles.get_profile("mnist_data", "smoke")["samples_per_class"] != 999
    assert first["profile"] == "smoke" and first["study"] == "mnist_data"


@pytest.mark.parametrize("study, key, value, message", [
    ("digit_pairs", "epochs", -1, "'epochs' must be a positive integer, got -1 (int)"),
    ("digit_pairs", "epochs", "25", "'epochs' must be a positive integer, got '25' (str)"),
    ("digit_pairs", "validation_folds", 3, "'validation_folds' must be at most folds"),
    ("digit_pairs", "lr_grid", [], "'lr_grid' must be a non-empty list of positive numbers"),
    ("training_choices", "optimizers", ["adamw"], "unknown optimizer 'adamw' in 'optimizers'; valid: sgd, adam"),
    ("training_choices", "activations", ["gelu"], "unknown activation 'gelu'"),
    ("lenet5", "train_size", 70_000, "'train_size' must be None (all images) or an integer from 1 to 60,000"),
    ("separate_kernels", "seeds", [0, -1], "'seeds' must be a list of non-negative integers"),
    ("resnet", "batch_size", 0.5, "'batch_size' must be a positive integer"),
])
def test_bad_settings_are_refused_in_one_line(study, key, value, message):
    cfg = profiles.get_profile(study, "smoke")
    cfg[key] = value
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        profiles.check_settings(cfg)
    assert "\n" not in str(error.value) and f"{study}/smoke" in str(error.value)


def test_every_profile_passes_its_own_checks():
    for study in profiles.PROFILES:
        for name in profiles.PROFILE_NAMES:
            profiles.get_profile(study, name)  # check_settings runs inside


def test_a_study_runner_refuses_bad_settings_before_training(isolated_outputs):
    from mnist_studies.studies import digit_pairs

    cfg = profiles.get_profile("digit_pairs", "smoke")
    cfg["models"] = ["Simple", "Siamese"]
    with pytest.raises(ValueError, match="unknown model"):
        digit_pairs.run_study(cfg, device="cpu")
    cfg = profiles.get_profile("digit_pairs", "smoke")
    cfg["runs"] = 0
    with pytest.raises(ValueError, match="'runs' must be a positive integer"):
        digit_pairs.run_study(cfg, device="cpu")
    assert not isolated_outputs["results"].exists()  # nothing was written
