"""The linear datamodeling score (Park et al. 2023), the field's other ground truth besides leave-one-out: models
trained on many random subsets of the training set, one module per stage: `subsets` (which subsets, in which chunk
jobs), `train` (a chunk's models, each trained on its subset) and `score` (each estimator's LDS per test point).
Only training the all-CNN needs TensorFlow."""
