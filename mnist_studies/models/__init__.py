"""Keras model builders, one module per paper. Every builder returns an uncompiled ``keras.Model``.

- ``separate_kernels`` (paper 000, Yang 2024): one-vs-rest binary CNNs and the comprehensive classifier.
- ``resnet`` (paper 001, Fan): the paper's ResNet-style network (and the canonical ResNet-18 layout), the two-layer CNN.
- ``training_choices`` (paper 002, Ranjbar): the 421,642-parameter CNN and an MLP, ReLU or sigmoid.
- ``digit_pairs`` (paper 003, Jomeau et al.): simple CNN, CNNws1, CNNws2, CNNaux, digit CNN for 14×14 digit pairs.
- ``lenet5`` (paper 004, Lu & Ke): classic LeNet-5 (optionally LeCun's C3 table), the improved LeNet-5, and the
  ``SpatialPyramidPooling`` and ``LeNetC3`` layers.
"""
