"""Destination SDK objects for the streaming endpoint and the audience metadata API."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from destkit.adobe.objects import (
    AdobeObject,
    RenderSettings,
    common_destination_fields,
    fixed,
    object_ref,
)
from destkit.adobe.outputs import StackOutputs
from destkit.runtime.routes import AUDIENCES_PATH

# Limits from Adobe's aggregation policy page: configurable aggregation sends 1000 to 10000
# profiles per call. maxBatchAgeInSecs is 1800 because one page gives a minimum of 301 and two
# others 1800; 1800 satisfies both.
MIN_EVENTS_IN_BATCH = 1000
MAX_EVENTS_IN_BATCH = 10000
MAX_BATCH_AGE_SECONDS = 1800


class RenderError(ValueError):
    """The outputs or settings cannot produce valid Destination SDK objects; the message names the fix."""


_COMMENT = re.compile(r"\{#.*?#\}\s*", re.DOTALL)


def template_source() -> str:
    """Return the kit's Pebble message template file, comments included."""
    return resources.files("destkit.adobe").joinpath("templates/profiles.pebble").read_text()


def message_template() -> str:
    """Return the message template as it is registered: the file without its comments."""
    return _COMMENT.sub("", template_source()).strip()


def aggregation_policy(max_body_bytes: int, profile_bytes: int) -> dict[str, Any]:
    """Size the aggregation so that a full batch of rendered profiles fits ``max_body_bytes``.

    ``profile_bytes`` is an estimate of the largest rendered profile. The template always reads
    ``input.profiles``, which AEP fills only when a call may hold more than one profile, so a body
    limit that fits fewer than two profiles is rejected.
    """
    if profile_bytes <= 0:
        raise RenderError(f"profile size estimate {profile_bytes} must be a positive number of bytes")
    per_call = max_body_bytes // profile_bytes
    if per_call < 2:
        raise RenderError(
            f"max_body_bytes {max_body_bytes} fits {per_call} profile(s) of {profile_bytes} bytes; the "
            "template needs at least 2: raise destkit:streaming.max_body_bytes or pass a smaller --profile-bytes"
        )
    if per_call < MIN_EVENTS_IN_BATCH:
        return {
            "aggregationType": "BEST_EFFORT",
            "bestEffortAggregation": {"maxUsersPerRequest": per_call, "splitUserById": False},
        }
    return {
        "aggregationType": "CONFIGURABLE_AGGREGATION",
        "configurableAggregation": {
            "splitUserById": False,
            "maxBatchAgeInSecs": MAX_BATCH_AGE_SECONDS,
            "maxNumEventsInBatch": min(per_call, MAX_EVENTS_IN_BATCH),
            "aggregationKey": {
                "includeSegmentId": False,
                "includeSegmentStatus": False,
                "includeIdentity": False,
                "oneIdentityPerGroup": False,
            },
        },
    }


def _customer_authentication(outputs: StackOutputs) -> dict[str, Any]:
    auth_type = outputs.get("auth_type")
    if auth_type == "bearer":
        return {"authType": "BEARER"}
    if auth_type == "basic":
        return {"authType": "BASIC"}
    if auth_type != "oauth2":
        raise RenderError(f"output auth_type is {auth_type!r}: expected oauth2, bearer or basic")
    token_url = outputs.get("token_url")
    if not token_url:
        raise RenderError("output token_url is missing: an oauth2 stack must export its token endpoint")
    # Each tenant has its own client, so the customer enters the client id and secret when
    # connecting the destination in AEP.
    configuration: dict[str, Any] = {
        "authType": "OAUTH2",
        "grant": "OAUTH2_CLIENT_CREDENTIALS",
        "accessTokenUrl": token_url,
        "clientId": "{{authData.clientId}}",
        "clientSecret": "{{authData.clientSecret}}",
        "authenticationDataFields": [
            {"name": "clientId", "title": "Client ID", "type": "string", "isRequired": True, "fieldType": "CUSTOMER"},
            {
                "name": "clientSecret",
                "title": "Client secret",
                "type": "string",
                "isRequired": True,
                "format": "password",
                "fieldType": "CUSTOMER",
            },
        ],
    }
    if outputs.get("scope"):
        configuration["scope"] = [outputs.get("scope")]
    return configuration


def streaming_objects(outputs: StackOutputs, settings: RenderSettings) -> list[AdobeObject]:
    """Render the streaming destination server and its destination configuration."""
    url = outputs.get("url")
    if not url:
        raise RenderError("output url is missing: the stack has no streaming endpoint to register")
    max_body = outputs.get("max_body_bytes")
    if not isinstance(max_body, int) or isinstance(max_body, bool) or max_body <= 0:
        raise RenderError(f"output max_body_bytes is {max_body!r}: expected a positive integer")
    if not settings.identity_namespaces:
        raise RenderError("a streaming destination needs at least one identity namespace: pass --identity-namespace")

    server = {
        "name": f"{settings.name}-streaming",
        "destinationServerType": "URL_BASED",
        "urlBasedDestination": {"url": fixed(str(url))},
        "httpTemplate": {
            "httpMethod": "POST",
            "contentType": "application/json",
            "requestBody": {"templatingStrategy": "PEBBLE_V1", "value": message_template()},
        },
    }

    mapping: dict[str, Any] = {
        "mapExperiencePlatformSegmentName": False,
        "mapExperiencePlatformSegmentId": True,
        "mapUserInput": False,
    }
    if settings.audience_template_keys.get("streaming"):
        mapping["audienceTemplateId"] = object_ref(settings.audience_template_keys["streaming"])

    destination = {
        **common_destination_fields(settings, f"{settings.title} (streaming)"),
        "customerAuthenticationConfigurations": [_customer_authentication(outputs)],
        "customerDataFields": [],
        "uiAttributes": {
            "documentationLink": settings.documentation_link,
            "category": "streaming",
            "connectionType": "Server-to-server",
            "frequency": "Streaming",
            "monitoringSupported": True,
            "flowRunsSupported": True,
        },
        "identityNamespaces": {
            namespace: {"acceptsAttributes": True, "acceptsCustomNamespaces": True}
            for namespace in settings.identity_namespaces
        },
        "schemaConfig": {"profileRequired": True, "segmentRequired": True, "identityRequired": True},
        "segmentMappingConfig": mapping,
        "aggregation": aggregation_policy(max_body, settings.profile_bytes),
        "destinationDelivery": [
            {"authenticationRule": "CUSTOMER_AUTHENTICATION", "destinationServerId": object_ref("streaming-server")}
        ],
        "backfillHistoricalProfileData": True,
    }
    return [
        AdobeObject("streaming-server", "destination-server", server),
        AdobeObject("streaming-destination", "destination", destination),
    ]


def audiences_url(base: str) -> str:
    """Return the audiences collection URL from the ``audience_api_url`` output."""
    base = base.rstrip("/")
    return base if base.endswith(AUDIENCES_PATH) else base + AUDIENCES_PATH


def _event(url: str, method: str, headers: list[dict[str, str]], body: dict[str, Any] | None) -> dict[str, Any]:
    event: dict[str, Any] = {"url": url, "httpMethod": method, "headers": headers}
    if body is not None:
        event["requestBody"] = {"json": body}
    event["responseErrorFields"] = [{"name": "message", "value": "{{message}}"}]
    return event


def audience_template(outputs: StackOutputs, settings: RenderSettings) -> AdobeObject | None:
    """Render the audience template for the streaming destination, or None when the API is off."""
    base = outputs.get("audience_api_url")
    if not base:
        return None
    auth_type = outputs.get("auth_type")
    if auth_type == "oauth2":
        authorization = "Bearer {{oauth2ServiceAccessToken}}"
    elif auth_type == "bearer":
        authorization = "Bearer {{authData.token}}"
    else:
        raise RenderError(
            f"the audience API accepts oauth2 or bearer credentials, but auth_type is {auth_type!r}: "
            "switch destkit:streaming.auth or turn destkit:streaming.audience_api off"
        )
    headers = [
        {"header": "Content-Type", "value": "application/json"},
        {"header": "Authorization", "value": authorization},
    ]
    collection = audiences_url(str(base))
    item = collection + "/{{segment.alias}}"
    create = _event(
        collection,
        "POST",
        headers,
        {"name": "{{segment.name}}", "description": "{{segment.description}}", "aepId": "{{segment.id}}"},
    )
    # The intake returns the new audience as {"id": ...}; AEP stores it as the audience alias.
    create["responseFields"] = [{"name": "externalAudienceId", "value": "{{body.id}}"}]
    update = _event(item, "PUT", headers, {"name": "{{segment.name}}", "description": "{{segment.description}}"})
    update["responseFields"] = [{"name": "externalAudienceId", "value": "{{body.id}}"}]
    body = {
        "metadataTemplate": {
            "name": f"{settings.name}-audiences",
            "create": create,
            "update": update,
            "delete": _event(item, "DELETE", headers, None),
        },
        "validations": [],
    }
    return AdobeObject("audience-template", "audience-template", body)


def notify_template(settings: RenderSettings) -> AdobeObject | None:
    """Render the audience template whose ``notify`` event informs the partner that an export finished."""
    if not settings.notify_url:
        return None
    headers = [{"header": "Content-Type", "value": "application/json"}]
    # NOTE: batch destinations authenticate to storage, not to an HTTP API, so AEP sends no
    # credentials with this call. The notification endpoint must not trust its body.
    notify = _event(
        settings.notify_url,
        "POST",
        headers,
        {
            "destinationId": "{{destination.id}}",
            "destinationName": "{{destination.name}}",
            "sandbox": "{{destination.sandboxName}}",
            "imsOrgId": "{{destination.imsOrgId}}",
        },
    )
    body = {"metadataTemplate": {"name": f"{settings.name}-export-notify", "notify": notify}, "validations": []}
    return AdobeObject("notify-template", "audience-template", body)
