"""dp_features."""
