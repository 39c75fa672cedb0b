"""Finding mislabelled training points: rankings, fraction found, ROC AUC, fixing the found labels (`ranking`)."""
