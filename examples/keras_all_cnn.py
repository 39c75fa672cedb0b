"""The product's own all-CNN (Koh & Liang's; thesis Table 4.1) written as a user's Keras model: same layers, same
initial weights. Run beside the built-in `all_cnn` (examples/keras_all_cnn.yaml) it gives the same tables, which is
how the Keras wrapper is checked against a model whose derivatives have independent formulas
(tests/test_keras_model.py).
"""

import keras
import numpy as np

from influential.models.all_cnn import AllCNN

# (filters, kernel, stride) of the six convolutions h1_a..h3_c; the last maps to one channel per class
CONVOLUTIONS = (("h1_a", 8, 3, 1), ("h1_c", 8, 3, 2), ("h2_a", 8, 3, 1), ("h2_c", 8, 3, 2), ("h3_a", 8, 3, 1))


def build(input_shape, n_classes, seed=0):
    inputs = keras.Input(input_shape)
    h = inputs
    for name, filters, kernel, stride in CONVOLUTIONS:
        h = keras.layers.Conv2D(filters, kernel, strides=stride, activation="tanh", name=name)(h)
    h = keras.layers.Conv2D(n_classes, 1, activation="tanh", name="h3_c")(h)
    h = keras.layers.GlobalAveragePooling2D(name="h3_d")(h)
    model = keras.Model(inputs, keras.layers.Dense(n_classes, name="logits")(h))
    # the built-in network's initial weights for this seed, tensor by tensor in the same order
    reference = AllCNN(side=input_shape[0], channels=input_shape[2], n_classes=n_classes, weight_decay=0.0)
    flat, weights = reference.initial_params(seed), []
    for size, (_, shape) in zip(reference.sizes, reference.shapes, strict=True):
        weights.append(np.reshape(flat[:size], shape))
        flat = flat[size:]
    model.set_weights(weights)
    return model
