"""dp_api."""
