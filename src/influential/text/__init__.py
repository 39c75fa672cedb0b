"""Word embeddings (config `word_embeddings:`): cross-loss influence of a text's training units (sentences or
documents, data.corpus) on objectives of a Skip-gram model's word vectors, checked by retraining without them.

`pairs` turns a corpus into the model's fixed training signal, `objectives` the word-set objectives (WEAT effect
size, distances, movement), `estimators` predicts every unit's effect on them (`block` and `restricted` in closed
form), `training` hands the units to the Adam loop that trains and retrains, `ground_truth` measures the effect on
the retrained models and compares, `groups` does the same for sets removed at once (Brunet's protocol).
"""
