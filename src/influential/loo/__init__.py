"""Leave-one-out ground truth, one module per stage: `plan` (which training points to retrain, in which chunks),
`retrain` (the all-CNN's stacked retraining engine), `refit` (logistic regression refitted without each point) and
`gather` (the models' test losses as actual influence on each test point). Only `retrain` and `refit` need
TensorFlow."""
