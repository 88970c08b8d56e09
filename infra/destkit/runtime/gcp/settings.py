"""Environment variable names shared by the GCP functions and the Pulumi program that sets them."""

from __future__ import annotations


def secret_env_name(tenant: str) -> str:
    """Return the environment variable that carries ``tenant``'s secret in a function."""
    return "DESTKIT_SECRET_" + tenant.upper().replace("-", "_")
