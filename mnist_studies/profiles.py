"""The named profiles of every study, in one place, as data.

- ``smoke``: seconds; what CI and ``make test`` run. Tiny data, one seed: checks that everything executes.
- ``quick``: minutes on a 2-core CPU; the default of ``make reproduce``. Cut data/epochs/grids, said in the notebook.
- ``paper``: the paper's own settings (GPU recommended where a study says so).

``get_profile(study, name)`` returns a fresh copy of one study's settings, with ``profile`` and ``study`` added.
"""

from __future__ import annotations

import copy

PROFILE_NAMES = ("smoke", "quick", "paper")

PROFILES: dict[str, dict[str, dict]] = {
    # notebooks/00_mnist_data.ipynb
    "mnist_data": {
        "smoke": {"samples_per_class": 6},
        "quick": {"samples_per_class": 10},
        "paper": {"samples_per_class": 10},
    },
}


def check_profile_name(name: str) -> str:
    """Return ``name`` if it is a valid profile name, else raise ``ValueError`` listing the valid ones."""
    if name not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILE_NAMES)}")
    return name


def get_profile(study: str, name: str) -> dict:
    """The settings of ``study`` under profile ``name`` (a deep copy: callers may change it).

    Raises:
        ValueError: unknown study or profile, naming the valid choices.
    """
    if study not in PROFILES:
        raise ValueError(f"unknown study {study!r}; valid studies: {', '.join(sorted(PROFILES))}")
    check_profile_name(name)
    settings = copy.deepcopy(PROFILES[study][name])
    settings.update(study=study, profile=name)
    return settings
