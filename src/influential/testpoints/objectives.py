"""Test objectives: the quantity of a test point whose change an influence estimate predicts (cross-loss influence,
Silva, Chopra and Gombolay 2020).

Every estimator keeps the training objective's Hessian and training gradients and takes only its test gradient from
the objective, so it predicts f(theta without z) - f(theta) for any differentiable f of the parameters and the test
example: the training loss (`cross_entropy`, the default), a `margin`, a class `probability`, or where the test point
sits in a layer's representation (`centroid_distance`, `embedding_distance`). The representation objectives read
other examples too (the class's training examples, the reference example), whose outputs move with the parameters:
the gradient goes through them. This module is the objective as configured (TensorFlow-free, for the jobs that
only label figures); influential.cross_loss makes it a function of the parameters.
"""

from dataclasses import dataclass

from influential.core import names


@dataclass(frozen=True)
class Objective:
    """What to measure on a test point; `kind` one of names.OBJECTIVES, with the keys that kind uses."""

    kind: str = names.CROSS_ENTROPY
    cls: int | None = None  # probability: of this class; centroid_distance: to this class's centroid
    layer: str = "logits"  # centroid_distance, embedding_distance: in this layer's output
    split: str = "train"  # embedding_distance: the reference example's split ...
    position: int | None = None  # ... and its position there

    @classmethod
    def from_config(cls, spec: dict | None) -> "Objective":
        spec = dict(spec or {})
        return cls(
            spec.get("kind", names.CROSS_ENTROPY),
            spec.get("class"),
            spec.get("layer", "logits"),
            spec.get("split", "train"),
            spec.get("position"),
        )

    def to_config(self) -> dict:
        keys = {
            names.PROBABILITY: ("class",),
            names.CENTROID_DISTANCE: ("class", "layer"),
            names.EMBEDDING_DISTANCE: ("layer", "split", "position"),
        }.get(self.kind, ())
        values = {"class": self.cls, "layer": self.layer, "split": self.split, "position": self.position}
        return {"kind": self.kind, **{key: values[key] for key in keys}}

    @property
    def label(self) -> str:
        """What the objective measures, for axis labels and captions."""
        return {
            names.CROSS_ENTROPY: "test loss",
            names.MARGIN: "margin (true-class logit minus the largest other)",
            names.PROBABILITY: f"probability of class {self.cls}",
            names.CENTROID_DISTANCE: f"distance in {self.layer} to the class-{self.cls} centroid",
            names.EMBEDDING_DISTANCE: f"distance in {self.layer} to {self.split} example {self.position}",
        }[self.kind]
