"""The WAFv2 web ACL in front of the REST API stage.

Two rules: AWS's known-bad-inputs managed group (Log4j and similar exploit patterns) and a
per-address rate limit. No rule caps the body size: AEP sends batches of up to 10,000 profiles,
and AWS's common rule set would block every body over 8 KB. The rate rule returns 429 with
``Retry-After``, a status AEP retries under both aggregation policies. A plain WAF block
would return 403, which AEP retries only under best-effort aggregation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from destkit.aws.functions import create_log_group

RATE_LIMIT_WINDOW_SECONDS = 300
RATE_LIMITED_STATUS = 429
RATE_LIMITED_RETRY_AFTER_SECONDS = "60"
# API Gateway forwards the first 16 KB of each body to WAF (the limit without extra charge);
# the rest is not inspected, and no body is blocked for its size.
BODY_INSPECTION_LIMIT = "KB_16"
# WAF requires the log group name to start with this prefix.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def _visibility(metric_name: str) -> dict[str, Any]:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric_name,
        "sampled_requests_enabled": True,
    }


def web_acl_rules(rate_limit: int, metric_prefix: str) -> list[dict[str, Any]]:
    """Build the web ACL's rules: known bad inputs first, then the per-address rate limit."""
    return [
        {
            "name": "known-bad-inputs",
            "priority": 0,
            "override_action": {"none": {}},
            "statement": {
                "managed_rule_group_statement": {
                    "name": "AWSManagedRulesKnownBadInputsRuleSet",
                    "vendor_name": "AWS",
                }
            },
            "visibility_config": _visibility(f"{metric_prefix}-known-bad-inputs"),
        },
        {
            "name": "rate-per-address",
            "priority": 1,
            "action": {
                "block": {
                    "custom_response": {
                        "response_code": RATE_LIMITED_STATUS,
                        "response_headers": [
                            {"name": "Retry-After", "value": RATE_LIMITED_RETRY_AFTER_SECONDS}
                        ],
                    }
                }
            },
            "statement": {
                "rate_based_statement": {
                    "limit": rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": RATE_LIMIT_WINDOW_SECONDS,
                }
            },
            "visibility_config": _visibility(f"{metric_prefix}-rate-per-address"),
        },
    ]


@dataclass(frozen=True)
class Firewall:
    web_acl: aws.wafv2.WebAcl
    association: aws.wafv2.WebAclAssociation
    log_group: aws.cloudwatch.LogGroup
    logging: aws.wafv2.WebAclLoggingConfiguration


def create_firewall(
    name: str,
    *,
    name_prefix: str,
    stage_arn: pulumi.Input[str],
    rate_limit: int,
    kms_key_arn: pulumi.Input[str],
    log_retention_days: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> Firewall:
    """Create the web ACL, associate it with the stage and log its decisions."""
    child = pulumi.ResourceOptions(parent=parent)
    # Plain dictionaries keep the rules comparable in tests; the SDK's TypedDicts do not accept them.
    rules: Any = web_acl_rules(rate_limit, name_prefix)
    allow: Any = {"allow": {}}
    inspection: Any = {
        "request_bodies": [{"api_gateway": {"default_size_inspection_limit": BODY_INSPECTION_LIMIT}}]
    }
    web_acl = aws.wafv2.WebAcl(
        f"{name}-waf",
        scope="REGIONAL",
        default_action=allow,
        rules=rules,
        association_config=inspection,
        visibility_config=cast(Any, _visibility(f"{name_prefix}-waf")),
        tags=dict(tags),
        opts=child,
    )
    association = aws.wafv2.WebAclAssociation(
        f"{name}-waf-association", resource_arn=stage_arn, web_acl_arn=web_acl.arn, opts=child
    )
    log_group = create_log_group(
        f"{name}-waf-logs",
        log_group_name=f"{WAF_LOG_GROUP_PREFIX}{name_prefix}",
        retention_days=log_retention_days,
        kms_key_arn=kms_key_arn,
        tags=tags,
        parent=parent,
    )
    logging = aws.wafv2.WebAclLoggingConfiguration(
        f"{name}-waf-logging",
        resource_arn=web_acl.arn,
        log_destination_configs=[log_group.arn],
        # AEP's credentials travel in this header, and WAF logs every header that is not redacted.
        redacted_fields=[{"single_header": {"name": "authorization"}}],
        opts=child,
    )
    return Firewall(web_acl=web_acl, association=association, log_group=log_group, logging=logging)
