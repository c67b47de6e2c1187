"""Study runners, tables and figures, one module per paper; the notebooks call into these.

Each runner takes a profile (``profiles.get_profile(study, name)``), writes one run record per training run to
``runs/<profile>/<study>/`` and returns the records; tables and figures are made from records only.

- ``mnist_data``: the data overview (notebook 00)
- ``separate_kernels``: paper 000 (notebook 01)
- ``resnet``: paper 001 (notebook 02)
- ``training_choices``: paper 002 (notebook 03)
- ``digit_pairs``: paper 003 (notebook 04)
- ``lenet5``: paper 004, and the page recognizer's evaluation (notebook 05)
"""
