"""Shared test helpers: emulators started on 127.0.0.1 and stopped by PID."""
