"""Import floor of ``destkit plan --stack gcp-dev``: pulumi and exactly the provider modules it loads.

``bench/plan_gcp.py`` (``bench/plan_vs_floor.py --stack gcp-dev``) compares the plan's wall time with
this script's. The list below is the output of ``bench/loaded_provider_modules.py --stack gcp-dev``;
``tests/plan/test_import_floor.py`` fails when the two drift apart. pulumi_gcp loads its
``*_from_id`` helper modules on import, and pulumi_random and pulumi_tls load every module of their
package, so those appear too.
"""

# ruff: noqa: F401, I001
import pulumi
import pulumi_gcp.apigateway
import pulumi_gcp.cloudfunctionsv2
import pulumi_gcp.cloudrunv2
import pulumi_gcp.compute
import pulumi_gcp.kms
import pulumi_gcp.location_from_id
import pulumi_gcp.name_from_id
import pulumi_gcp.project_from_id
import pulumi_gcp.projects
import pulumi_gcp.pubsub
import pulumi_gcp.region_from_id
import pulumi_gcp.region_from_zone
import pulumi_gcp.secretmanager
import pulumi_gcp.serviceaccount
import pulumi_gcp.storage
import pulumi_gcp.zone_from_id
import pulumi_random.random_bytes
import pulumi_random.random_id
import pulumi_random.random_integer
import pulumi_random.random_password
import pulumi_random.random_pet
import pulumi_random.random_shuffle
import pulumi_random.random_string
import pulumi_random.random_uuid
import pulumi_random.random_uuid4
import pulumi_random.random_uuid7
import pulumi_tls.cert_request
import pulumi_tls.get_certificate
import pulumi_tls.get_public_key
import pulumi_tls.locally_signed_cert
import pulumi_tls.outputs
import pulumi_tls.private_key
import pulumi_tls.self_signed_cert

# Provider packages import their service modules lazily: the imports above bind placeholders and run
# nothing. Touching one attribute of each runs the module, as the plan's first resource class does.
import ast
import sys
from pathlib import Path

for node in ast.walk(ast.parse(Path(__file__).read_text(encoding="utf-8"))):
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith("pulumi_") and "." in alias.name:
                getattr(sys.modules[alias.name], "__all__", None)
