"""A user's model for the workflow (README, "Your own model"): a one-hidden-layer MLP on the digits.

The workflow calls build(input_shape, n_classes) with the dataset's shape per example and its number of classes and
expects an uncompiled Keras model whose output is the logits (config `model.output: logits`). Name the layers whose
outputs the embedding analysis should read (config `model.layers`).
"""

import keras


def build(input_shape, n_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Flatten(name="pixels"),
            keras.layers.Dense(8, activation="tanh", name="hidden"),
            keras.layers.Dense(n_classes, name="logits"),
        ]
    )
