"""Pulumi program: parse the ``destkit`` stack config and wire it to the cloud's components."""

from destkit.program import run

run()
