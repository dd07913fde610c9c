"""dp_training."""
