"""The AWS controls of the policy pack (ids A1-A42), as checks over pulumi-aws 7 wire inputs.

Importing this package registers every control.
"""

from destkit.policy.aws import (
    api,  # noqa: F401
    compute,  # noqa: F401
    identity,  # noqa: F401
    storage,  # noqa: F401
)
