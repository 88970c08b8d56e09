"""An AEP-like sender for ``destkit send``: realistic profiles, AEP's retry rules, a JSON summary."""
