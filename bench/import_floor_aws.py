"""Import floor of ``destkit plan --stack aws-dev``: pulumi and exactly the provider modules it loads.

``bench/plan_vs_floor.py --stack aws-dev`` compares the plan's wall time with this script's. The
list below is the output of ``bench/loaded_provider_modules.py --stack aws-dev``;
``tests/plan/test_import_floor.py`` fails when the two drift apart. pulumi_aws loads its top-level
``get_*`` and ARN helper modules on import, and pulumi_random and pulumi_tls load every module of
their package, so those appear too.
"""

# ruff: noqa: F401, I001
import pulumi
import pulumi_aws.apigateway
import pulumi_aws.arn_build
import pulumi_aws.arn_parse
import pulumi_aws.cloudwatch
import pulumi_aws.cognito
import pulumi_aws.ec2
import pulumi_aws.get_arn
import pulumi_aws.get_availability_zone
import pulumi_aws.get_availability_zones
import pulumi_aws.get_billing_service_account
import pulumi_aws.get_caller_identity
import pulumi_aws.get_default_tags
import pulumi_aws.get_ip_ranges
import pulumi_aws.get_partition
import pulumi_aws.get_region
import pulumi_aws.get_regions
import pulumi_aws.get_service
import pulumi_aws.get_service_principal
import pulumi_aws.iam
import pulumi_aws.kms
import pulumi_aws.lambda_
import pulumi_aws.outputs
import pulumi_aws.s3
import pulumi_aws.secretsmanager
import pulumi_aws.transfer
import pulumi_aws.trim_iam_role_path
import pulumi_aws.user_agent
import pulumi_aws.vpc
import pulumi_aws.wafv2
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
