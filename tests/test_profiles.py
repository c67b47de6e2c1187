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
