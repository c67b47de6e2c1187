"""The named profiles of every study, in one place, as data.

- ``smoke``: seconds; what CI and ``make test`` run. Tiny data, one seed: checks that everything executes.
- ``quick``: minutes on a 2-core CPU; the default of ``make reproduce``. Cut data/epochs/grids, said in the notebook.
- ``paper``: the paper's own settings (GPU recommended where a study says so).

``get_profile(study, name)`` returns a fresh copy of one study's settings: its ``COMMON`` settings, overridden by
the profile's own, with ``profile`` and ``study`` added.
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
    # notebooks/01_separately_trained_kernels.ipynb; paper 000 §3 (5 binary epochs, 2 comprehensive epochs, Adam)
    "separate_kernels": {
        "smoke": {
            "train_size": 1000, "test_size": 1000,  # class-balanced subsets
            "seeds": [0], "ablation_seeds": [],  # ablation_seeds: for the activations after the first
            "activations": ["sigmoid"],
            "binary_epochs": 1, "epochs": 1,
        },
        "quick": {
            "train_size": 4000, "test_size": 5000,  # balanced subsets (None would mean all images)
            "seeds": [0, 1, 2], "ablation_seeds": [0, 1, 2],
            "activations": ["sigmoid", "relu", "tanh"],
            "binary_epochs": 5, "epochs": 2,
        },
        "paper": {
            "train_size": None, "test_size": None,  # all 60,000 training images (about 1 hour on a 2-core CPU)
            "seeds": list(range(10)), "ablation_seeds": [0, 1, 2],
            "activations": ["sigmoid", "relu", "tanh"],
            "binary_epochs": 5, "epochs": 2,
        },
    },
}

# Settings shared by every profile of a study (the paper's, or our documented choice where it is silent).
COMMON: dict[str, dict] = {
    "separate_kernels": {
        "kernel_size": 3,  # not given in the paper
        "batch_size": 32,  # not given in the paper (Keras' default)
        "learning_rate": 1e-3,  # Adam's default; not given in the paper
        "transfer_biases": True,  # conv biases travel with the kernels (not said in the paper)
        "data_seed": 0,  # which images form the subsets
        "verbose": 2,  # one line per epoch
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
    settings = copy.deepcopy(COMMON.get(study, {}))
    settings.update(copy.deepcopy(PROFILES[study][name]))
    settings.update(study=study, profile=name)
    return settings
