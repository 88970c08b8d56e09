"""Import floor of ``destkit plan --stack azure-dev``: pulumi and exactly the provider modules it loads.

``bench/plan_vs_floor.py --stack azure-dev`` compares the plan's wall time with this script's. The
list below is the output of ``bench/loaded_provider_modules.py --stack azure-dev``;
``tests/plan/test_import_floor.py`` fails when the two drift apart. pulumi_azuread, pulumi_random and
pulumi_tls load every module of their package on import, so their lists are long.
"""

# ruff: noqa: F401, I001
import pulumi
import pulumi_azure_native.apimanagement
import pulumi_azure_native.applicationinsights
import pulumi_azure_native.authorization
import pulumi_azure_native.eventgrid
import pulumi_azure_native.keyvault
import pulumi_azure_native.monitor
import pulumi_azure_native.operationalinsights
import pulumi_azure_native.resources
import pulumi_azure_native.storage
import pulumi_azure_native.web
import pulumi_azuread.access_package
import pulumi_azuread.access_package_assignment_policy
import pulumi_azuread.access_package_catalog
import pulumi_azuread.access_package_catalog_role_assignment
import pulumi_azuread.access_package_resource_catalog_association
import pulumi_azuread.access_package_resource_package_association
import pulumi_azuread.administrative_unit
import pulumi_azuread.administrative_unit_member
import pulumi_azuread.administrative_unit_role_member
import pulumi_azuread.app_role_assignment
import pulumi_azuread.application
import pulumi_azuread.application_api_access
import pulumi_azuread.application_app_role
import pulumi_azuread.application_certificate
import pulumi_azuread.application_fallback_public_client
import pulumi_azuread.application_federated_identity_credential
import pulumi_azuread.application_flexible_federated_identity_credential
import pulumi_azuread.application_from_template
import pulumi_azuread.application_identifier_uri
import pulumi_azuread.application_known_clients
import pulumi_azuread.application_optional_claims
import pulumi_azuread.application_owner
import pulumi_azuread.application_password
import pulumi_azuread.application_permission_scope
import pulumi_azuread.application_pre_authorized
import pulumi_azuread.application_redirect_uris
import pulumi_azuread.application_registration
import pulumi_azuread.authentication_strength_policy
import pulumi_azuread.authentication_strength_policy_fido2_combination_configuration
import pulumi_azuread.authentication_strength_policy_x509_combination_configuration
import pulumi_azuread.claims_mapping_policy
import pulumi_azuread.conditional_access_policy
import pulumi_azuread.custom_directory_role
import pulumi_azuread.directory_role
import pulumi_azuread.directory_role_assignment
import pulumi_azuread.directory_role_eligibility_schedule_request
import pulumi_azuread.directory_role_member
import pulumi_azuread.get_access_package
import pulumi_azuread.get_access_package_catalog
import pulumi_azuread.get_access_package_catalog_role
import pulumi_azuread.get_administrative_unit
import pulumi_azuread.get_application
import pulumi_azuread.get_application_published_app_ids
import pulumi_azuread.get_application_template
import pulumi_azuread.get_authentication_strength_policy
import pulumi_azuread.get_client_config
import pulumi_azuread.get_directory_object
import pulumi_azuread.get_directory_role_templates
import pulumi_azuread.get_directory_roles
import pulumi_azuread.get_domains
import pulumi_azuread.get_group
import pulumi_azuread.get_group_role_management_policy
import pulumi_azuread.get_groups
import pulumi_azuread.get_named_location
import pulumi_azuread.get_service_principal
import pulumi_azuread.get_service_principals
import pulumi_azuread.get_user
import pulumi_azuread.get_users
import pulumi_azuread.group
import pulumi_azuread.group_license
import pulumi_azuread.group_member
import pulumi_azuread.group_role_management_policy
import pulumi_azuread.group_without_members
import pulumi_azuread.invitation
import pulumi_azuread.named_location
import pulumi_azuread.outputs
import pulumi_azuread.privileged_access_group_assignment_schedule
import pulumi_azuread.privileged_access_group_eligibility_schedule
import pulumi_azuread.service_principal
import pulumi_azuread.service_principal_certificate
import pulumi_azuread.service_principal_claims_mapping_policy_assignment
import pulumi_azuread.service_principal_delegated_permission_grant
import pulumi_azuread.service_principal_password
import pulumi_azuread.service_principal_token_signing_certificate
import pulumi_azuread.synchronization_job
import pulumi_azuread.synchronization_job_provision_on_demand
import pulumi_azuread.synchronization_secret
import pulumi_azuread.user
import pulumi_azuread.user_flow_attribute
import pulumi_azuread.user_license
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
