"""A user's Keras model behind the model interface (see models), so that every estimator, retraining, trajectory and
embedding of the workflow runs on it.

The user's file (`model.file`, relative to the run folder) defines `model.build(input_shape, n_classes)`, or
`build(input_shape, n_classes, seed)`, returning an uncompiled Keras model whose output is the logits or the class
probabilities (`model.output`). The wrapper holds no weights: theta is the model's trainable variables, flattened
in `trainable_variables` order, and every call is Keras's `stateless_call` with theta's pieces and the
non-trainable state from the build carried explicitly, always with `training=False`: dropout off and batch
normalisation on its (fixed) statistics, in training too, so that the objective Adam minimises is the one whose
derivatives influence takes. The network is built once per float type (float32 for training, float64 where a
job asks), under that dtype policy, so a float64 theta is computed in float64.
"""

import importlib.util
import inspect
import math
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from influential.core import names
from influential.core.errors import InputError
from influential.models.autodiff import AutodiffModel, softmax_cross_entropy


def load_builder(file: str, function: str):
    """The user's build function, or a one-line error naming the file or the function."""
    path = Path(file)
    if not path.is_file():
        raise InputError(f"model.file: {file} does not exist (a path relative to the run folder)")
    spec = importlib.util.spec_from_file_location(f"user_model_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the user's code: any failure is theirs to read
        raise InputError(f"model.file: {file} fails on import: {type(error).__name__}: {_first_line(error)}") from error
    builder = getattr(module, function, None)
    if not callable(builder):
        raise InputError(f"model.build: {file} has no function {function!r}")
    return builder


@cache
def _inference_mode(net: keras.Model) -> dict:
    """training=False for a model whose call takes it (a subclassed model's call may not)."""
    return {"training": False} if "training" in inspect.signature(net.call).parameters else {}


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else ""


@dataclass(frozen=True)
class KerasModel(AutodiffModel):
    """A user's Keras classifier; the objective is mean cross-entropy + weight_decay * sum(w^2) / 2 over the
    trainable variables of two or more dimensions (kernels, embeddings; not biases, scales or offsets)."""

    file: str
    build: str
    output: str
    input_shape: tuple[int, ...]
    n_classes: int
    weight_decay: float
    layers: tuple[str, ...] = ()
    _networks: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    kind = names.KERAS
    removal_includes_regularizer = True

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(s) for s in self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))

    @property
    def layer_names(self) -> tuple[str, ...]:
        """The named layers' outputs, then the model's output as `logits` (log-probabilities for a model that
        outputs probabilities: logits up to a constant per example)."""
        return (*self.layers, names.LOGITS)

    def network(self, dtype: str = "float32", seed: int | None = None) -> keras.Model:
        """The user's model built under dtype policy `dtype`; with a seed, a fresh build whose initial weights that
        seed draws (keras.utils.set_random_seed), else one kept per dtype."""
        if seed is None and dtype in self._networks:
            return self._networks[dtype]
        builder = load_builder(self.file, self.build)
        where = f"model.build: {self.file}:{self.build}"
        previous = keras.config.dtype_policy()
        keras.utils.set_random_seed(0 if seed is None else seed)
        keras.config.set_dtype_policy(dtype)
        try:
            takes_seed = "seed" in inspect.signature(builder).parameters
            extra = {"seed": 0 if seed is None else seed} if takes_seed else {}
            net = builder(self.input_shape, self.n_classes, **extra)
            if not isinstance(net, keras.Model):
                raise InputError(f"{where} returned {type(net).__name__}, not a keras.Model")
            if not net.built:  # a subclassed model: its first call creates its variables
                net(np.zeros((1, *self.input_shape), dtype))
        except InputError:
            raise
        except Exception as error:
            raise InputError(f"{where} fails: {type(error).__name__}: {_first_line(error)}") from error
        finally:
            keras.config.set_dtype_policy(previous)
        if seed is None:
            self._networks[dtype] = net
        return net

    @cached_property  # read on every call of the network: built once, as the network is
    def shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """("layer/variable", shape) of every trainable variable, in the order of the flat vector; the layer is the
        model's own layer that holds it (Keras's paths put a Sequential model's name first)."""
        net = self.network()
        owner = {id(v): layer.name for layer in net.layers for v in layer.trainable_variables}
        return [(f"{owner.get(id(v), net.name)}/{v.name}", tuple(v.shape)) for v in net.trainable_variables]

    @cached_property
    def sizes(self) -> list[int]:
        return [math.prod(shape) for _, shape in self.shapes]

    @property
    def n_params(self) -> int:
        return sum(self.sizes)

    def is_weight(self) -> np.ndarray:
        """Mask of the flat vector's entries that weight decay applies to."""
        return np.concatenate([np.full(math.prod(shape), len(shape) >= 2) for _, shape in self.shapes])

    def initial_params(self, seed: int) -> np.ndarray:
        net = self.network(seed=seed)
        return np.concatenate([v.numpy().ravel() for v in net.trainable_variables]).astype(np.float32)

    def _call(self, net: keras.Model, theta: tf.Tensor, x) -> tf.Tensor | list[tf.Tensor]:
        pieces = [tf.reshape(p, s) for p, (_, s) in zip(tf.split(theta, self.sizes), self.shapes, strict=True)]
        state = [v.value for v in net.non_trainable_variables]
        inputs = tf.cast(tf.reshape(x, (-1, *self.input_shape)), theta.dtype)
        outputs, _ = net.stateless_call(pieces, state, inputs, **_inference_mode(net))
        return outputs

    def _as_logits(self, output: tf.Tensor) -> tf.Tensor:
        if self.output == names.LOGITS:
            return output
        return tf.math.log(tf.maximum(output, np.finfo(output.dtype.as_numpy_dtype).tiny))

    def logits(self, theta: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
        return self._as_logits(self._call(self.network(theta.dtype.name), theta, x))

    def layer_outputs(self, theta: tf.Tensor, x: tf.Tensor) -> list[tf.Tensor]:
        """The named layers' outputs, then the logits, from one stateless call of a model with those outputs."""
        outputs = self._call(self._tapped(theta.dtype.name), theta, x)
        return [*outputs[:-1], self._as_logits(outputs[-1])]

    def _tapped(self, dtype: str) -> keras.Model:
        """The network with the named layers' outputs beside its own (same variables, same order)."""
        key = f"tapped/{dtype}"
        if key not in self._networks:
            net = self.network(dtype)
            taps = [net.get_layer(name).output for name in self.layers]
            self._networks[key] = keras.Model(net.inputs, [*taps, net.outputs[0]])
            tapped = [v.path for v in self._networks[key].trainable_variables]
            if tapped != [v.path for v in net.trainable_variables]:
                raise InputError(f"model.layers: {self.file}:{self.build} orders its variables differently when tapped")
        return self._networks[key]

    def loss(self, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """Per-example cross-entropy, shape (n,)."""
        return softmax_cross_entropy(self.logits(theta, x), y)

    def regularizer(self, theta: tf.Tensor) -> tf.Tensor:
        return self.weight_decay * tf.reduce_sum(tf.boolean_mask(theta, self.is_weight()) ** 2) / 2.0

    def stacked_losses(self, thetas: tf.Tensor, x, y) -> tf.Tensor:
        """Per-example losses of K models on one batch, shape (K, n): the K calls side by side in one graph."""
        return tf.stack([self.loss(thetas[i], x, y) for i in range(thetas.shape[0])])

    def stacked_regularizer(self, thetas: tf.Tensor) -> tf.Tensor:
        return self.weight_decay * tf.reduce_sum(tf.boolean_mask(thetas**2, self.is_weight(), axis=1), axis=1) / 2

    def meta(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "build": self.build,
            "output": self.output,
            "input_shape": list(self.input_shape),
            "n_classes": self.n_classes,
            "weight_decay": self.weight_decay,
            "layers": list(self.layers),
        }

    def check(self, x: np.ndarray, y: np.ndarray) -> None:
        """What a user's model must do before any training: be callable statelessly with its own variables, give
        one output per class, name the layers it is asked for, and a finite loss at its initial weights on (x, y)."""
        where = f"{self.file}:{self.build}"
        net = self.network()
        if not net.trainable_variables:
            raise InputError(f"model: {where} has no trainable variables")
        for layer in net.layers:  # the objective's only penalty is model.weight_decay: a layer's own would be lost
            penalties = [key for key, value in vars(layer).items() if key.endswith("regularizer") and value is not None]
            if penalties:
                raise InputError(
                    f"model: {where} layer {layer.name!r} has a {penalties[0]}, which the workflow does not apply; "
                    "remove it and set model.weight_decay"
                )
        known = [layer.name for layer in net.layers]
        for name in self.layers:
            if name not in known:
                raise InputError(f"model.layers: {where} has no layer {name!r} (its layers: {', '.join(known)})")
        if self.layers:
            try:
                self._tapped("float32")
            except Exception as error:
                raise InputError(
                    f"model.layers: cannot read the layers of {where} ({_first_line(error)}); "
                    "name layers of a functional or Sequential model"
                ) from error
        before = {id(v) for v in net.variables}
        theta = tf.constant(self.initial_params(0))
        try:
            output = self._call(net, theta, x).numpy()
        except Exception as error:
            raise InputError(
                f"model: {where} ({type(net).__name__}) cannot be called statelessly "
                f"({type(error).__name__}: {_first_line(error)}); "
                "create every variable in a layer's build(), not in call()"
            ) from error
        created = [v.path for v in net.variables if id(v) not in before]
        if created:
            raise InputError(
                f"model: {where} creates variables when called ({', '.join(created)}); create them in build()"
            )
        if output.shape != (len(x), self.n_classes):
            raise InputError(
                f"model: {where} outputs shape {output.shape[1:]} per example; the dataset has {self.n_classes} classes"
            )
        if self.output == "probabilities" and not np.allclose(output.sum(axis=1), 1.0, atol=1e-3):
            raise InputError(f"model.output: {where}'s outputs do not sum to 1 over the classes; set output: logits")
        losses = self.loss(theta, x, y).numpy()
        if not np.all(np.isfinite(losses)):
            raise InputError(
                f"model: {where} has a non-finite loss at its initial weights on {len(x)} training examples"
            )
