"""dp_cli."""
