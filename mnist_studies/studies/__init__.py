"""Study runners and tables, one module per paper; the notebooks call into these (the figures are drawn by
``mnist_studies.plotting.<study>``, from the same records).

Each runner takes a profile (``profiles.get_profile(study, name)``), writes one run record per training run to
``results/<profile>/<study>/`` and returns the records; tables, figures and the claims report are made from records.
Each paper's claims are data in ``mnist_studies/claims/<study>.py`` (outside the runs' code fingerprints).
"""

# notebook -> (study module, paper id), in reading order; ``make reproduce`` and ``make report`` follow it
NOTEBOOK_STUDIES = {
    "00_mnist_data.ipynb": ("mnist_data", None),
    "01_separately_trained_kernels.ipynb": ("separate_kernels", "000"),
    "02_resnet_and_two_layer_cnn.ipynb": ("resnet", "001"),
    "03_training_choices.ipynb": ("training_choices", "002"),
    "04_digit_pairs.ipynb": ("digit_pairs", "003"),
    "05_lenet5_and_page_recognition.ipynb": ("lenet5", "004"),
    "06_read_your_pages.ipynb": ("your_pages", None),
}
