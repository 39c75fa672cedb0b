"""Influence estimators: influence functions (exact, CG, LiSSA), TracIn and HYDRA behind one shape (`estimators`),
HYDRA's adjoint sweep (`hydra`).
"""
