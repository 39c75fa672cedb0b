"""The figures' look, applied by every figure as it is made (`subplots`), not by importing a module: drawn off screen
(matplotlib's Agg backend), seaborn's white-grid theme, one categorical palette."""

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns


def subplots(*args, **kwargs):
    """plt.subplots in the figures' style."""
    matplotlib.use("Agg")
    sns.set_theme(style="whitegrid", context="notebook")
    return plt.subplots(*args, **kwargs)


def palette(n: int) -> list:
    return sns.color_palette("tab10", n)
