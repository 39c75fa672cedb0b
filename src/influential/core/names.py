"""Names that the Snakefile, the config schema and the library share, each spelled once here.

Imports nothing: the Snakefile, the schema loader and the jobs that only join tables or draw figures read it
without loading TensorFlow. The schema refers to these tuples as `enum: names.<NAME>` (see config.load_schema).
"""

# The eight representations of the all-CNN (thesis Table 4.1), input side first: six convolutions, the spatial
# mean of the last one, the logits.
LOGITS = "logits"  # every model's last representation (a Keras model's output; its log for probabilities)
LAYERS = ("h1_a", "h1_c", "h2_a", "h2_c", "h3_a", "h3_c", "h3_d", LOGITS)
CONV_LAYERS = LAYERS[:6]

# Columns carry the sign convention for any test objective f (the test point's loss, margin, probability, distance;
# its record names it): f(test; theta without z) - f(test; theta). For retrained networks the actual change is paired
# (minus the control run's change); RAW is against the checkpoint itself. TracIn's values in PREDICTED are scores
# (a sum of first-order loss reductions), not a predicted change.
PREDICTED = "predicted_change"
ACTUAL = "actual_change"
RAW = "raw_change"
# A prediction evaluated "shifted": the objective recomputed at the predicted parameters (word embeddings; NaN for
# estimators that predict no parameter change).
SHIFTED = "shifted_change"
EVALUATED_LINEAR, EVALUATED_SHIFTED = "linear", "shifted"
EVALUATIONS = {
    EVALUATED_LINEAR: PREDICTED,
    EVALUATED_SHIFTED: SHIFTED,
}  # each way of evaluating a prediction, by its column

# The trained model on every test example (training.fit.predictions), what test points are chosen from.
PREDICTIONS = ["position", "original_index", "label", "predicted", "loss"]

SOURCES = ("synthetic", "mnist_bundled", "mnist", "npz", "idx")
LOGISTIC_REGRESSION, ALL_CNN, KERAS = "logistic_regression", "all_cnn", "keras"
MODEL_KINDS = (LOGISTIC_REGRESSION, ALL_CNN, KERAS)  # an experiment's model (`experiments:`); keras: the user's
KERAS_OUTPUTS = (LOGITS, "probabilities")  # what a user's Keras model outputs
GAUSSIAN_MIXTURE = "gaussian_mixture"  # the model of `mixtures:`
SKIP_GRAM = "skip_gram"  # the model of `word_embeddings:`
# Word embeddings (`word_embeddings:`): where the text comes from, what a training unit is, the objectives on word
# vectors, the estimators, and Caliskan et al.'s word sets (WEAT 6-8, REFERENCE.md) that an objective may name.
CORPUS_SOURCES = ("brown", "text")
CORPUS_UNITS = ("sentence", "document")
WEAT, DISTANCE, MOVEMENT = "weat", "distance", "movement"  # and CENTROID_DISTANCE, as the all-CNN's
WORD_OBJECTIVES = (WEAT, DISTANCE, "centroid_distance", MOVEMENT)
BLOCK = "block"
WARM_START = "warm_start"
SCRATCH = "scratch"  # a from-scratch group-removal run is named scratch<seed>
CONTROL_SET = "control"  # the set of a group-removal run's model that removes nothing
INCREASE, DECREASE, RANDOM = "increase", "decrease", "random"  # how a removed set was chosen
WORD_LOO_METHODS = (WARM_START, "none")
STANDARD_WORD_SETS = {
    "male_names": ["john", "paul", "mike", "kevin", "steve", "greg", "jeff", "bill"],
    "female_names": ["amy", "joan", "lisa", "sarah", "diana", "kate", "ann", "donna"],
    "career": ["executive", "management", "professional", "corporation", "salary", "office", "business", "career"],
    "family": ["home", "parents", "children", "family", "cousins", "marriage", "wedding", "relatives"],
    "math": ["math", "algebra", "geometry", "calculus", "equations", "computation", "numbers", "addition"],
    "arts": ["poetry", "art", "dance", "literature", "novel", "symphony", "drama", "sculpture"],
    "male_terms": ["male", "man", "boy", "brother", "he", "him", "his", "son"],
    "female_terms": ["female", "woman", "girl", "sister", "she", "her", "hers", "daughter"],
    "science": ["science", "technology", "physics", "chemistry", "einstein", "nasa", "experiment", "astronomy"],
    "arts_weat8": ["poetry", "art", "shakespeare", "dance", "literature", "novel", "symphony", "drama"],
    "male_kin": ["brother", "father", "uncle", "grandfather", "son", "he", "his", "him"],
    "female_kin": ["sister", "mother", "aunt", "grandmother", "daughter", "she", "hers", "her"],
}
EXACT, CG, LISSA = "exact", "cg", "lissa"  # inverse-Hessian-vector products at the trained parameters
ARNOLDI = "arnoldi"  # the same through the Hessian's leading eigenpairs, from Hessian-vector products
TRACIN, HYDRA, HYDRA_FREE = "tracin", "hydra", "hydra_free"  # along the recorded training trajectory
TRAK = "trak"  # random projections of the output function's gradients over an ensemble of models
ESTIMATORS = (EXACT, CG, LISSA, ARNOLDI, TRACIN, HYDRA, HYDRA_FREE, TRAK)
INFLUENCE_FUNCTIONS = (EXACT, CG, LISSA, ARNOLDI)
TRAJECTORY_ESTIMATORS = (TRACIN, HYDRA, HYDRA_FREE)
WORD_ESTIMATORS = (BLOCK, EXACT, CG, LISSA, TRACIN, HYDRA, HYDRA_FREE)
DAMPED_ESTIMATORS = (*INFLUENCE_FUNCTIONS, BLOCK)  # those that solve a damped system
CHANGE_ESTIMATORS = (BLOCK, EXACT)  # word estimators that give each unit's parameter change: evaluated shifted too
# Estimators whose cost per test point is a gradient and a product, or that serve all test points in one sweep (the
# HYDRAs): one job serves all of an experiment's test points, so TensorFlow starts once for them; the others get a
# job per test point.
ONE_JOB_ESTIMATORS = (EXACT, ARNOLDI, TRACIN, HYDRA, HYDRA_FREE, TRAK)
# For the same reason, those that give every (test, training) pair of the test split (`influence.all_pairs`).
ALL_PAIRS_ESTIMATORS = (EXACT, TRACIN, HYDRA, HYDRA_FREE)
# The section of an experiment's `influence` config that holds an estimator's own settings (exact has one for word
# embeddings only: which output vectors it frees).
SETTINGS_SECTIONS = {
    EXACT: "exact",
    CG: "cg",
    LISSA: "lissa",
    ARNOLDI: "arnoldi",
    TRACIN: "tracin",
    HYDRA: "hydra",
    HYDRA_FREE: "hydra",
    TRAK: "trak",
}
HYDRA_WINDOWS = ("retrain", "full")
# What an estimator reads besides the data and the model, by role (the workflow's files, influence.inputs' loaders):
# the cached per-example gradients, the factorised Hessian, the training trajectory.
TRAIN_GRADIENTS, HESSIAN, TRAJECTORY = "train_gradients", "hessian", "trajectory"
ESTIMATOR_INPUTS = {
    EXACT: (TRAIN_GRADIENTS, HESSIAN),
    CG: (TRAIN_GRADIENTS,),
    LISSA: (TRAIN_GRADIENTS,),
    ARNOLDI: (TRAIN_GRADIENTS,),
    **{name: (TRAJECTORY,) for name in TRAJECTORY_ESTIMATORS},
    TRAK: (),
}
# Test objectives (cross-loss influence): the quantity of a test point whose change is predicted and measured.
CROSS_ENTROPY, MARGIN, PROBABILITY = "cross_entropy", "margin", "probability"
CENTROID_DISTANCE, EMBEDDING_DISTANCE = "centroid_distance", "embedding_distance"
OBJECTIVES = (CROSS_ENTROPY, MARGIN, PROBABILITY, CENTROID_DISTANCE, EMBEDDING_DISTANCE)
# Finding mislabelled training points: an estimator ranks by a strategy, `self` (a point's influence on its own loss,
# where one solve per point is affordable; the ranker is named after the estimator) or `validation` (its predicted
# change of a clean set's summed loss, one solve or sweep in all; named {estimator}_validation); and two baselines.
SELF, VALIDATION = "self", "validation"
SELF_INFLUENCE_ESTIMATORS = ESTIMATORS  # the HYDRAs: one sweep along every training gradient, as all pairs
ESTIMATOR_RANKERS = {e: (e, SELF) for e in SELF_INFLUENCE_ESTIMATORS} | {
    f"{e}_{VALIDATION}": (e, VALIDATION) for e in ESTIMATORS
}  # ranker: (estimator, strategy)
TRAINING_LOSS, RANDOM = "training_loss", "random"
MISLABEL_RANKERS = (*ESTIMATOR_RANKERS, TRAINING_LOSS, RANDOM)
CLEAN_SPLITS = ("validation", "test")  # which split's labels a validation ranking trusts (never flipped)
FIX_PROTOCOLS = ("restore", "drop")  # restore the flipped labels found, or drop the points found (HYDRA's)
# Cross-loss influence on a Gaussian mixture: the model fitted without labels, and with them.
UNSUPERVISED, MATCHED = "unsupervised", "matched"
MIXTURE_MODELS = (UNSUPERVISED, MATCHED)
TEST_POINT_RULES = (
    "index",
    "original_index",
    "first_misclassified",
    "first_correct",
    "random_misclassified",
    "random_correct",
)
LOO_METHODS = ("refit", "warm_start", "reset", "none")
RETRAINING = ("warm_start", "reset")  # the methods that retrain the all-CNN in chunks
COVARIANCES = ("ledoit_wolf", "pinv")

# A retraining chunk is named after its left-out training positions: first, last, and a digest of them all.
CHUNK_PATTERN = r"\d{5}-\d{5}-[0-9a-f]{8}"

# The embedding-space figures of each test point (thesis figures 5.4-5.18 but t-SNE); captions in workflow/report/.
EMBEDDING_FIGURES = (
    "influential_images",
    "pixel_cosine",
    "pixel_vs_embedding",
    "nearest_furthest",
    "embedding_cosine",
    "class_boxplots",
    "outliers",
    "centroid_relationship",
    "mahalanobis",
    "learned_metric",
)
