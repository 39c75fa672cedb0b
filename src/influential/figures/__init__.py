"""Figures, one module per stage; none needs TensorFlow."""
