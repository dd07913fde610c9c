"""The stack target: real services as local processes on 127.0.0.1 (`dp stack up|down|status`)."""
