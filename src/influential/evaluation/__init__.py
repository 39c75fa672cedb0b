"""How predictions agree with their ground truth: agreement statistics and tables (`agreement`)."""
