"""Entry point of the kit's policy pack: ``pulumi preview --policy-pack infra/destkit/policy/pack``.

Run it from an environment where the kit is installed (``pip install -e .`` in the repository),
because the policies live in the ``destkit.policy`` package. Recorded exceptions reach the pack
through ``--policy-pack-config FILE``; ``destkit.policy.waivers_to_pack_config`` writes that file.
"""

import sys
from pathlib import Path

try:
    import destkit  # noqa: F401
except ModuleNotFoundError:
    # A checkout without ``pip install -e .``: import the package from the repository's infra/.
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from pulumi_policy import EnforcementLevel, PolicyPack

from destkit.policy.crossguard import build_policies

PolicyPack(
    name="aep-destination-kit",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)
