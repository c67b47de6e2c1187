"""mnist_studies: Keras 3 reproductions of five small MNIST papers, with their claims checked.

Modules:
    data      -- offline MNIST loader with checksum verification and split helpers
    profiles  -- the named profiles (smoke, quick, paper) of every study, as data
    training  -- seeding, device choice, the fit helper and its callbacks
    records   -- run records: one JSON per run, written atomically
    plotting  -- figures from run records, one module per study, and the shared helpers (fixed dpi, no
                 timestamps); not part of the result-code fingerprint
    models    -- model builders, one module per paper
    studies   -- study runners, one module per paper
    claims    -- each paper's claims as data (``claims/<study>.py``) and the verdict vocabulary
    fingerprints -- what a run depends on: hashes of the import closure of its code
    stamps    -- each study's stamp: what its last ``make reproduce`` ran on and how it ended
    report    -- the claims report (REPORT.md) from the run records
    reproduce -- the headless notebook runner behind ``make reproduce``
    status    -- ``make status``: what is up to date, without running anything
"""

import os

# Quiet TensorFlow C++ logs (CUDA probing, CPU features, graph notices): errors still surface as Python exceptions.
# Set TF_CPP_MIN_LOG_LEVEL=0 before importing to see them again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from mnist_studies import native_logs  # noqa: E402

native_logs.install()  # and the lines TensorFlow's C++ layer prints while it is imported (see native_logs)

__version__ = "0.1.0"
