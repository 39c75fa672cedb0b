"""What every stage shares: the names the workflow and the library spell once (`names`), the one-line errors a user
sees (`errors`), config validation (`config`), files (`io`), what a job does around its work (`job`) and which
library code it runs (`provenance`). No TensorFlow.
"""
