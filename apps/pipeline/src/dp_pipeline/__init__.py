"""dp_pipeline."""
