"""dp_serving."""
