"""A user's small CNN for the workflow (README, "Your own model"), written with Keras's functional API.

Its output is the class probabilities (config `model.output: probabilities`): the workflow takes their log as the
logits. build may take a `seed`: the workflow passes the configured training seed, and also sets Keras's global
seed before calling it, so the initial weights are the same on every run.
"""

import keras


def build(input_shape, n_classes, seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input(input_shape)
    h = keras.layers.Conv2D(8, 5, strides=2, activation="tanh", kernel_initializer=init, name="conv1")(inputs)
    h = keras.layers.Conv2D(8, 3, strides=2, activation="tanh", kernel_initializer=init, name="conv2")(h)
    h = keras.layers.Flatten(name="features")(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax", kernel_initializer=init, name="probabilities")(h)
    return keras.Model(inputs, outputs)
