"""Print the provider submodules that ``destkit plan --stack NAME`` really loads, one per line.

Provider packages load their submodules lazily, so ``sys.modules`` contains placeholders for every
service; only modules whose class is no longer the lazy placeholder were executed. The import
floor scripts (``bench/import_floor_<cloud>.py``) must import exactly this list, which
``tests/plan/test_import_floor.py`` checks.

Usage: .venv/bin/python bench/loaded_provider_modules.py --stack aws-dev
"""

from __future__ import annotations

import argparse
import sys
import types

PROVIDER_PACKAGES = ("pulumi_aws", "pulumi_azure_native", "pulumi_azuread", "pulumi_gcp", "pulumi_random", "pulumi_tls")


def loaded_provider_modules() -> list[str]:
    names = []
    for name, module in sys.modules.items():
        if not name.startswith(PROVIDER_PACKAGES) or type(module) is not types.ModuleType:
            continue
        parts = name.split(".")
        # Keep the service packages (pulumi_aws.s3), not their internal files (pulumi_aws.s3.bucket).
        if len(parts) == 2 and not parts[1].startswith("_") and parts[1] not in ("config", "provider"):
            names.append(name)
    return sorted(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    args = parser.parse_args()

    from destkit.plan.engine import plan_stack

    plan_stack(args.stack, evaluate_compliance=False)
    print("\n".join(loaded_provider_modules()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
