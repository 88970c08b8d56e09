"""The Azure controls of the policy pack (ids Z1-Z33), as checks over azure-native 3 wire inputs.

Importing this package registers every control.
"""

from destkit.policy.azure import (
    apim,  # noqa: F401
    functions,  # noqa: F401
    storage,  # noqa: F401
)
