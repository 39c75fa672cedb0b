"""The data stage: examples and splits (`splits`), where they come from (`sources`), label noise on purpose
(`label_noise`), text corpora for word embeddings (`corpus`).
"""
