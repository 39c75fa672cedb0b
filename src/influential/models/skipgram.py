"""Skip-gram with negative sampling (Mikolov et al. 2013) behind the model interface (see models): the word vectors
of a text's units, trained by the project's Adam loop (training.adam) so that leave-one-out retraining, the
trajectory and every estimator apply to it.

Its layout (the parameter vector: input vectors U, then output vectors W; the units as examples, given by their
ids, whose pairs the model holds so that a minibatch of ids gathers them) is models.skipgram_layout's. A unit's loss
is the sum over its pairs (c, o, negatives n_j) of

    -log s(u_c . w_o) - sum_j log s(-u_c . w_nj)

divided by the corpus' mean number of pairs per unit (a constant), so that the mean over units is the usual mean
loss per pair; the training objective is that mean over units + l2/2 |theta|^2, and a left-out unit takes its pairs'
loss with it (not its share of l2).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import tensorflow as tf

from influential.derivatives import autodiff
from influential.models.autodiff import AutodiffModel
from influential.models.skipgram_layout import SkipGramLayout


@dataclass(frozen=True, eq=False)
class SkipGram(SkipGramLayout, AutodiffModel):
    """The layout (models.skipgram_layout) with its tensor side: losses of one or K stacked models, the regulariser
    and the closed-form Hessian-vector product."""

    @classmethod
    def of(cls, layout: SkipGramLayout) -> "SkipGram":
        return cls(layout.vocabulary_size, layout.dim, layout.l2, layout.pairs)

    @cached_property
    def _tables(self) -> tuple[tf.Tensor, ...]:
        p = self.pairs
        with tf.init_scope():  # eager constants, whichever compiled function asks first
            return tuple(tf.constant(a) for a in (p.unit_offsets, p.centre, p.context, p.negatives))

    def stacked_losses(self, thetas: tf.Tensor, x, y) -> tf.Tensor:
        """Each of K models' loss on each unit of `x` (unit ids), shape (K, B)."""
        offsets, centre, context, negatives = self._tables
        units = tf.cast(x, tf.int64)
        rows = tf.ragged.range(tf.gather(offsets, units), tf.gather(offsets, units + 1))
        pair, owner = rows.flat_values, rows.value_rowids()
        # every model's vectors as rows of one table (model k's word c: input row 2kV + c, output row 2kV + V + c),
        # so that each lookup is a gather along the first axis, whose gradient stays sparse until it is summed
        k, vocabulary = tf.shape(thetas)[0], self.vocabulary_size
        rows = tf.reshape(thetas, (-1, self.dim))
        first = tf.cast(tf.range(k) * 2 * vocabulary, pair.dtype)
        centres = tf.gather(centre, pair)
        u = tf.gather(rows, first[:, None] + tf.cast(centres, pair.dtype)[None])  # (K, P, d)
        output = first + vocabulary
        w_context = tf.gather(rows, output[:, None] + tf.cast(tf.gather(context, pair), pair.dtype)[None])
        w_negative = tf.gather(rows, output[:, None, None] + tf.cast(tf.gather(negatives, pair), pair.dtype)[None])
        positive = tf.reduce_sum(u * w_context, axis=-1)  # products and sums: einsum's batched matmuls are slower
        negative = tf.reduce_sum(u[:, :, None] * w_negative, axis=-1)
        losses = tf.math.softplus(-positive) + tf.reduce_sum(tf.math.softplus(negative), axis=2)  # (K, P)
        summed = tf.math.unsorted_segment_sum(tf.transpose(losses), owner, tf.size(units, out_type=tf.int64))
        return tf.transpose(summed) / tf.cast(self.scale, thetas.dtype)

    def loss(self, theta: tf.Tensor, x, y) -> tf.Tensor:
        return self.stacked_losses(theta[None], x, y)[0]

    def regularizer(self, theta: tf.Tensor) -> tf.Tensor:
        return self.l2 * tf.reduce_sum(theta**2) / 2.0

    def stacked_regularizer(self, thetas: tf.Tensor) -> tf.Tensor:
        return self.l2 * tf.reduce_sum(thetas**2, axis=1) / 2.0

    def hessian_operator(self, theta, x, y, damping: float, batch_size: int) -> "PairHessian":
        """v -> (H + damping I) v in closed form over the pairs (of every unit: x must be all of them)."""
        if len(x) != self.pairs.n_units:
            raise ValueError("the Skip-gram's Hessian operator covers every unit")
        return PairHessian(self, theta, damping, batch_size)

    def representations(self, theta: np.ndarray, x=None, batch_size: int = 0) -> dict[str, np.ndarray]:
        return {"input_vectors": self.input_vectors(theta).astype(np.float32)}


class PairHessian:
    """The training objective's Hessian-vector product in closed form (CG's operator). A centre word c meets each
    partner t (a context, label 1, or a negative, label 0) through s = u_c . w_t only, so with a = sigmoid(s) - label
    and b = sigmoid'(s), fixed at theta, and ds = du_c . w_t + u_c . dw_t:

        (H v)_{u_c} += b ds w_t + a dw_t,    (H v)_{w_t} += b ds u_c + a du_c,

    summed over every (pair, partner) (models.skipgram_layout.hessian_entries: equal (c, t) entries summed first),
    divided by the scale and the number of units, plus (l2 + damping) v; taken ENTRIES_PER_BATCH entries at a time.
    LiSSA's recursion over sampled units is automatic differentiation's (derivatives.autodiff.HessianOperator): a
    minibatch's entries change with every sample."""

    def __init__(self, model: SkipGram, theta: np.ndarray, damping: float, batch_size: int):
        vocabulary = model.vocabulary_size
        self.model, self.n, self.shape = model, model.pairs.n_units, (vocabulary, model.dim)
        self.shift = model.l2 + damping
        self.sampled = autodiff.HessianOperator(
            model, theta, model.units(), np.zeros(self.n, np.int32), damping, batch_size
        )
        centre, partner, a, b = model.hessian_entries(theta)
        u, w = model.input_vectors(theta).astype(np.float64), model.output_vectors(theta).astype(np.float64)
        self.u, self.w = tf.constant(u), tf.constant(w)
        self.batches = [
            tuple(tf.constant(array[i : i + model.ENTRIES_PER_BATCH]) for array in (centre, partner, a, b))
            for i in range(0, len(centre), model.ENTRIES_PER_BATCH)
        ]
        self._product = tf.function(self._batch_product)

    def _batch_product(self, centre, partner, a, b, du, dw):
        u, w = tf.gather(self.u, centre), tf.gather(self.w, partner)
        du_c, dw_t = tf.gather(du, centre), tf.gather(dw, partner)
        coefficient = (b * (tf.reduce_sum(du_c * w, 1) + tf.reduce_sum(u * dw_t, 1)))[:, None]
        vocabulary = self.shape[0]
        return (
            tf.math.unsorted_segment_sum(coefficient * w + a[:, None] * dw_t, centre, vocabulary),
            tf.math.unsorted_segment_sum(coefficient * u + a[:, None] * du_c, partner, vocabulary),
        )

    def __call__(self, v: np.ndarray) -> np.ndarray:
        half = self.shape[0] * self.shape[1]
        du = tf.constant(np.reshape(v[:half], self.shape), tf.float64)
        dw = tf.constant(np.reshape(v[half:], self.shape), tf.float64)
        to_u, to_w = tf.zeros_like(du), tf.zeros_like(dw)
        for batch in self.batches:
            bu, bw = self._product(*batch, du, dw)
            to_u, to_w = to_u + bu, to_w + bw
        total = np.concatenate([to_u.numpy().ravel(), to_w.numpy().ravel()])
        return total / (self.model.scale * self.n) + self.shift * np.asarray(v, dtype=np.float64)

    def recursion(self, g: np.ndarray, batches: np.ndarray, scale: float) -> np.ndarray:
        """LiSSA's recursion over the units of each row of `batches` (derivatives.autodiff.HessianOperator's)."""
        return self.sampled.recursion(g, batches, scale)
