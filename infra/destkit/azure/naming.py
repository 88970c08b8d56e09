"""Physical names of Azure resources and the naming rules Azure enforces on them.

Storage accounts, Key Vaults, API Management services and Function Apps have globally unique
names because they become DNS labels. Each generated name therefore ends with a short digest of a
seed that the caller derives from the Pulumi project, stack and component name. Validators return ``None``
for a valid name and the broken rule otherwise.
"""

from __future__ import annotations

import hashlib
import re

DIGEST_LENGTH = 6

_STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_KEY_VAULT = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_APIM = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]{0,48}[a-zA-Z0-9])?$")
_FUNCTION_APP = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
_LOCAL_USER = re.compile(r"^[a-z0-9]{3,64}$")


def digest(seed: str, length: int = DIGEST_LENGTH) -> str:
    """Return ``length`` lowercase hex characters derived from ``seed``."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:length]


def _compact(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]", "", "".join(parts).lower())


def storage_account_name(prefix: str, purpose: str, seed: str, tenant: str = "") -> str:
    """Build a storage account name: up to 24 lowercase letters and digits, ending in a digest."""
    base = _compact(prefix, purpose, tenant)[: 24 - DIGEST_LENGTH]
    return base + digest(f"{seed}/{purpose}/{tenant}")


def key_vault_name(prefix: str, seed: str) -> str:
    """Build a Key Vault name: 3 to 24 letters, digits and single hyphens, starting with a letter."""
    base = re.sub(r"-+", "-", prefix)[: 24 - DIGEST_LENGTH - 4].strip("-")
    return f"{base}-kv-{digest(seed)}"


def apim_name(prefix: str, seed: str) -> str:
    """Build an API Management service name (a subdomain of azure-api.net)."""
    base = re.sub(r"-+", "-", prefix)[: 50 - DIGEST_LENGTH - 6].strip("-")
    return f"{base}-apim-{digest(seed)}"


def function_app_name(prefix: str, seed: str) -> str:
    """Build a Function App name; Flex Consumption apps are limited to 32 characters."""
    base = re.sub(r"-+", "-", prefix)[: 32 - DIGEST_LENGTH - 4].strip("-")
    return f"{base}-fn-{digest(seed)}"


def container_name(purpose: str, tenant: str = "") -> str:
    """Build a blob container or file system name from a purpose and an optional tenant id."""
    return f"{purpose}-{tenant}" if tenant else purpose


def local_user_name(tenant: str) -> str:
    """Build the SFTP local user of ``tenant``: lowercase letters and digits only."""
    return "aep" + _compact(tenant)


def storage_account_problem(name: str) -> str | None:
    if not _STORAGE_ACCOUNT.match(name):
        return "storage account names are 3 to 24 lowercase letters and digits"
    return None


def key_vault_problem(name: str) -> str | None:
    if not _KEY_VAULT.match(name) or "--" in name:
        return (
            "Key Vault names are 3 to 24 letters, digits and single hyphens, starting with a letter "
            "and ending with a letter or digit"
        )
    return None


def apim_problem(name: str) -> str | None:
    if not _APIM.match(name):
        return (
            "API Management names are 1 to 50 letters, digits and hyphens, starting with a letter and "
            "ending with a letter or digit"
        )
    return None


def function_app_problem(name: str) -> str | None:
    if not _FUNCTION_APP.match(name) or "--" in name:
        return "Flex Consumption app names are 2 to 32 lowercase letters, digits and single hyphens"
    return None


def container_problem(name: str) -> str | None:
    if not _CONTAINER.match(name) or "--" in name:
        return (
            "container names are 3 to 63 lowercase letters, digits and single hyphens, starting and "
            "ending with a letter or digit"
        )
    return None


def local_user_problem(name: str) -> str | None:
    if not _LOCAL_USER.match(name):
        return "SFTP local user names are 3 to 64 lowercase letters and digits"
    return None


def check_local_users_distinct(tenants: list[str] | tuple[str, ...]) -> None:
    """Raise ValueError when two tenant ids map to the same SFTP local user name."""
    seen: dict[str, str] = {}
    for tenant in tenants:
        user = local_user_name(tenant)
        if user in seen:
            raise ValueError(
                f"tenants {seen[user]!r} and {tenant!r} both map to the SFTP user {user!r} (hyphens are "
                "dropped); rename one of them"
            )
        seen[user] = tenant
