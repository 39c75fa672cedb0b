"""Derivatives of a model's training objective: per-example gradients (`gradients`), Hessians, Hessian-vector products
and the factorisation (`hessian`).
"""
