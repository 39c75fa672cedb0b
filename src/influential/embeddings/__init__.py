"""The embedding-space analysis: per-point metrics and their correlations (`metrics`), the learned metric
(`learned_metric`), the TensorBoard projector folder (`projector`).
"""
