"""The GCP controls of the policy pack (ids G1-G24), as checks over pulumi-gcp 10 wire inputs.

Importing this package registers every control.
"""

from destkit.policy.gcp import (
    identity,  # noqa: F401
    serverless,  # noqa: F401
    storage,  # noqa: F401
)
