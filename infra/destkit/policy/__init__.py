"""Compliance as code: the controls of the kit's policy pack and the offline verdict.

``evaluate`` runs every control of a cloud over the resources ``destkit plan`` captured.
``waivers_to_pack_config`` turns recorded exceptions into ``--policy-pack-config`` content for
``pulumi preview --policy-pack infra/destkit/policy/pack``.
"""

from destkit.policy.evaluate import evaluate, matching_waiver
from destkit.policy.pack_config import waivers_to_pack_config
from destkit.policy.registry import all_controls, control_named, controls_for

__all__ = [
    "all_controls",
    "control_named",
    "controls_for",
    "evaluate",
    "matching_waiver",
    "waivers_to_pack_config",
]
