"""Physical names the kit generates, and the cloud naming rules they must satisfy.

Names are derived from ``<destination.name>-<destination.environment>`` plus a purpose and,
for per-tenant resources, the tenant id. Validators return ``None`` for a valid name and an
error message otherwise; tests run them over generated names with hypothesis.
"""

from __future__ import annotations

import re

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")

# Pulumi auto-naming appends a hyphen and 7 random characters to a logical name.
AUTONAME_SUFFIX_LENGTH = 8


def join(*parts: str) -> str:
    """Join name parts with hyphens, skipping empty parts."""
    return "-".join(part for part in parts if part)


def s3_bucket_problem(name: str) -> str | None:
    if not _S3_BUCKET.match(name):
        return "S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens"
    if ".." in name or _IPV4_LIKE.match(name):
        return "S3 bucket names cannot contain '..' or look like an IPv4 address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        return "S3 bucket names cannot use the reserved prefixes and suffixes"
    return None


def iam_name_problem(name: str, max_length: int = 64) -> str | None:
    if not re.match(r"^[\w+=,.@-]+$", name) or len(name) > max_length:
        return f"IAM names are 1 to {max_length} characters from letters, digits and +=,.@_-"
    return None


def lambda_name_problem(name: str) -> str | None:
    if not re.match(r"^[a-zA-Z0-9_-]{1,64}$", name):
        return "Lambda function names are 1 to 64 letters, digits, hyphens and underscores"
    return None


def cognito_domain_problem(name: str) -> str | None:
    if not re.match(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", name):
        return "Cognito domain prefixes are 1 to 63 lowercase letters, digits and hyphens"
    if any(word in name for word in ("aws", "amazon", "cognito")):
        return "Cognito domain prefixes cannot contain aws, amazon or cognito"
    return None


def transfer_user_problem(name: str) -> str | None:
    if not re.match(r"^[\w][\w@.-]{2,99}$", name):
        return "Transfer Family user names are 3 to 100 characters from letters, digits, _, @, . and -"
    return None


def autonamed(logical_name: str) -> str:
    """Return the longest physical name Pulumi auto-naming derives from ``logical_name``."""
    return logical_name + "-" + "x" * (AUTONAME_SUFFIX_LENGTH - 1)


def check_name_fits(component: str, name: str, generated: str, problem: str | None) -> None:
    """Raise ValueError when a physical name that ``component`` generates breaks a naming rule.

    ``generated`` is the physical name built from the component's ``name``; ``problem`` is the
    message of the rule it breaks, or None when it is valid.
    """
    if problem is not None:
        raise ValueError(
            f"{component} {name!r}: the generated name {generated!r} is invalid ({problem}); "
            "choose a shorter component name or tenant id"
        )


def kms_alias_problem(name: str) -> str | None:
    if not re.match(r"^alias/[a-zA-Z0-9/_-]{1,250}$", name) or name.startswith("alias/aws/"):
        return "KMS alias names are 'alias/' plus 1 to 250 letters, digits, '/', '_' and '-', not under alias/aws/"
    return None


def log_group_problem(name: str) -> str | None:
    if not re.match(r"^[\w./#-]{1,512}$", name):
        return "CloudWatch log group names are 1 to 512 letters, digits, '_', '-', '/', '.' and '#'"
    return None


def secret_name_problem(name: str) -> str | None:
    if not re.match(r"^[\w/+=.@-]{1,512}$", name):
        return "Secrets Manager names are 1 to 512 letters, digits and /_+=.@-"
    return None
