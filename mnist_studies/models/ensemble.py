"""The mean of several trained networks' outputs as one model (one file, one call per batch); not one of the papers'
networks. The page reader ships its digit model and its row reader this way (``digit_reader.build_ensemble``,
``row_reader.build_row_ensemble``): averaging networks trained with other seeds or data cancels part of each one's
mistakes."""

from __future__ import annotations

import keras


def build_mean(members, *, name: str, output_name: str) -> keras.Model:
    """The mean of ``members``' outputs, as a layer named ``output_name`` of a model named ``name``.

    Args:
        members: two or more ``keras.Model`` with the same input and output shapes. Each is wrapped under a name of
            its own (``member_0``, ``member_1``, ...), sharing its layers and weights.
    """
    members = list(members)
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
    shapes = {(tuple(m.input_shape[1:]), tuple(m.output_shape[1:])) for m in members}
    if len(shapes) != 1:
        raise ValueError(f"the members' (input, output) shapes differ: {sorted(shapes)}")
    inputs = keras.Input(members[0].input_shape[1:])
    wrapped = [keras.Model(m.input, m.output, name=f"member_{i}") for i, m in enumerate(members)]
    outputs = keras.layers.Average(name=output_name)([m(inputs) for m in wrapped])
    return keras.Model(inputs, outputs, name=name)
