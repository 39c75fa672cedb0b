"""Cross-loss influence on a Gaussian mixture fitted with or without labels (`model`)."""
