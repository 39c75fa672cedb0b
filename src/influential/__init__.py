"""influential: which training examples drive a model's predictions, and how well cheap estimates agree with
leave-one-out retraining."""

import os

# TensorFlow's C++ start-up chatter would drown the job logs; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
