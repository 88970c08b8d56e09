"""Render the Destination SDK objects for a stack from its outputs (``destkit adobe render``)."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

from destkit.adobe.batch import batch_objects, configured_locations
from destkit.adobe.objects import REF_PREFIX, AdobeObject, RenderSettings
from destkit.adobe.outputs import SECRET_PLACEHOLDER, StackOutputs
from destkit.adobe.streaming import RenderError, audience_template, notify_template, streaming_objects

RENDERING_KIND = "destkit/adobe-rendering"
RENDERING_VERSION = 1

# Per location: (field label shown in AEP, output name, whether it is secret).
_CONNECTION_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "s3": [
        ("path", "s3_prefixes", False),
        ("accessKeyId", "s3_access_key_ids", False),
        ("secretAccessKey", "s3_secret_access_keys", True),
        ("roleArn", "s3_role_arns", False),
    ],
    "blob": [("container", "blob_containers", False), ("connectionString", "blob_connection_strings", True)],
    "adls": [
        ("path", "adls_urls", False),
        ("servicePrincipalId", "adls_client_ids", False),
        ("servicePrincipalKey", "adls_client_secrets", True),
    ],
    "gcs": [
        ("path", "gcs_prefixes", False),
        ("accessKeyId", "gcs_hmac_access_ids", False),
        ("secretAccessKey", "gcs_hmac_secrets", True),
    ],
    "sftp": [
        ("username", "sftp_usernames", False),
        ("sshKey", "sftp_private_keys", True),
        ("rootDirectory", "sftp_root_directories", False),
    ],
    "streaming": [
        ("clientId", "client_ids", False),
        ("clientSecret", "client_secrets", True),
        ("token", "tokens", True),
        ("username", "usernames", False),
        ("password", "passwords", True),
    ],
}


def load_schema(name: str) -> dict[str, Any]:
    """Return one of the kit's JSON Schemas for rendered objects (``schemas/<name>.schema.json``)."""
    text = resources.files("destkit.adobe").joinpath(f"schemas/{name}.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _tenants(outputs: StackOutputs) -> list[str]:
    tenants = outputs.get("tenants")
    if not isinstance(tenants, list) or not all(isinstance(t, str) and t for t in tenants):
        raise RenderError(f"output tenants is {tenants!r}: expected a list of tenant ids")
    return tenants


def _connection_sheet(outputs: StackOutputs, locations: list[str], include_secrets: bool) -> dict[str, Any]:
    """Return, per tenant and location, what the customer enters when connecting in AEP."""
    sheet: dict[str, Any] = {}
    for tenant in _tenants(outputs):
        per_location: dict[str, Any] = {}
        for location in ["streaming", *locations]:
            values: dict[str, Any] = {}
            for label, output_name, secret in _CONNECTION_FIELDS.get(location, []):
                mapping = outputs.tenant_map(output_name)
                if tenant not in mapping:
                    continue
                value = mapping[tenant]
                values[label] = value if include_secrets or not secret or value is None else SECRET_PLACEHOLDER
            if location == "adls" and outputs.get("adls_tenant_id"):
                values["tenant"] = outputs.get("adls_tenant_id")
            if location == "sftp":
                values["hostName"] = outputs.get("sftp_host")
                values["port"] = outputs.get("sftp_port")
            if location == "s3":
                values["bucket"] = outputs.get("s3_bucket")
            if location == "gcs":
                values["bucket"] = outputs.get("gcs_bucket")
            if values:
                per_location[location] = values
        sheet[tenant] = per_location
    return sheet


def render_objects(outputs: StackOutputs, settings: RenderSettings) -> list[AdobeObject]:
    """Render every object for the stack, servers and templates before the destinations that use them."""
    # The template keys are filled in below; a copy keeps the caller's settings unchanged.
    settings = dataclasses.replace(settings, audience_template_keys={})
    objects: list[AdobeObject] = []
    template = audience_template(outputs, settings)
    if template is not None:
        settings.audience_template_keys["streaming"] = template.key
        objects.append(template)
    notify = notify_template(settings)
    if notify is not None:
        settings.audience_template_keys["batch"] = notify.key
        objects.append(notify)
    if outputs.get("url"):
        objects.extend(streaming_objects(outputs, settings))
    for location in configured_locations(outputs, settings.include_dlz):
        objects.extend(batch_objects(location, outputs, settings))
    if not objects:
        raise RenderError("the outputs describe no streaming endpoint and no batch location: nothing to render")
    order = {"destination-server": 0, "audience-template": 1, "destination": 2}
    return sorted(objects, key=lambda item: order[item.kind])


def render(outputs: StackOutputs, settings: RenderSettings) -> dict[str, Any]:
    """Render the whole document that ``destkit adobe render`` prints."""
    objects = render_objects(outputs, settings)
    notes = []
    if outputs.placeholders:
        notes.append(
            "rendered from the offline plan: values are placeholders, secrets read [secret]; "
            "render from `pulumi stack output --json --show-secrets` before applying"
        )
    if outputs.tenant_map("s3_role_arns"):
        notes.append(
            "the S3 writer is an assumed role: Destination SDK documents only access-key S3 authentication, "
            "so check in AEP that the role ARN option is offered"
        )
    locations = configured_locations(outputs, settings.include_dlz)
    return {
        "kind": RENDERING_KIND,
        "version": RENDERING_VERSION,
        "stack": outputs.stack,
        "placeholders": outputs.placeholders,
        "objects": [item.to_json() for item in objects],
        "connections": _connection_sheet(outputs, [loc for loc in locations if loc != "dlz"], settings.include_secrets),
        "notes": notes,
    }


def validate_rendering(document: dict[str, Any]) -> list[str]:
    """Check a rendering against the kit's schemas; return one message per problem (empty when valid).

    Besides each object's schema, every ``$ref:<key>`` must name an object of the same rendering.
    """
    from jsonschema import Draft202012Validator

    problems = [
        f"rendering{_path(error.absolute_path)}: {error.message}"
        for error in Draft202012Validator(load_schema("rendering")).iter_errors(document)
    ]
    if problems:
        return problems
    keys = {item["key"] for item in document["objects"]}
    for item in document["objects"]:
        validator = Draft202012Validator(load_schema(item["kind"]))
        for error in validator.iter_errors(item["body"]):
            problems.append(f"{item['key']}{_path(error.absolute_path)}: {error.message}")
        for reference in _references(item["body"]):
            if reference.removeprefix(REF_PREFIX) not in keys:
                problems.append(f"{item['key']}: {reference} names no object in this rendering")
    return problems


def _path(parts: Any) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def _references(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(REF_PREFIX) else []
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []
