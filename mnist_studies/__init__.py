"""mnist_studies: Keras 3 reproductions of five small MNIST papers, with their claims checked.

Modules:
    data, profiles, training  -- offline MNIST; the smoke, quick and paper profiles as data; the fit helper
    models, studies, claims   -- builders, runners and claims, one module per paper
    plotting                  -- figures from run records (not part of the result-code fingerprint)
    segmentation              -- the page reader of paper 004 (stages, benchmark, training of its shipped models)
    records, fingerprints     -- run records, and what a run depends on (the import closure of its code)
    stamps, reproduce, status -- ``make reproduce`` and ``make status``
    report                    -- the claims report (REPORT.md) from the run records
"""

import os

# Quiet TensorFlow C++ logs (CUDA probing, CPU features, graph notices): errors still surface as Python exceptions.
# Set TF_CPP_MIN_LOG_LEVEL=0 before importing to see them again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from mnist_studies import native_logs  # noqa: E402

native_logs.install()  # and the lines TensorFlow's C++ layer prints while it is imported (see native_logs)

__version__ = "0.1.0"
