"""dp_core."""
