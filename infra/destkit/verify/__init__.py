"""Check a deployed destination the way AEP uses it (``destkit verify``)."""
