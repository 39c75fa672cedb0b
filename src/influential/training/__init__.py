"""Fitting models: the one Adam loop training and retraining share (`adam`), fitting an experiment's model (`fit`), the
recorded training path (`trajectory`).
"""
