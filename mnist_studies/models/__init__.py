"""Keras model builders, one module per paper. Every builder returns an uncompiled ``keras.Model``.

- ``separate_kernels``: paper 000 (Yang 2024), one-vs-rest binary CNNs and the comprehensive classifier.
"""
