"""Optional custom domain of the streaming endpoint: regional certificate, TLS 1.2, DNS alias.

The certificate lives in the API's own region (regional endpoints never use the us-east-1
certificates that edge endpoints need). Without a given certificate the kit requests one and
validates it through the Route 53 zone, so a zone is then required.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from destkit.config import CustomDomainConfig

SECURITY_POLICY = "TLS_1_2"


@dataclass(frozen=True)
class CustomDomain:
    domain_name: str
    certificate_arn: pulumi.Output[str]
    url: str
    """``https://<domain>``; the API is mapped at the root of the domain."""


def check_domain(config: CustomDomainConfig) -> None:
    """Raise ValueError when the kit could not validate a certificate it would have to request."""
    if config.certificate_arn is None and config.hosted_zone_id is None:
        raise ValueError(
            f"custom domain {config.domain_name!r}: set certificate_arn to an issued ACM certificate in "
            "the API's region, or hosted_zone_id to the Route 53 zone the kit validates a new one in"
        )


def _certificate(
    name: str, config: CustomDomainConfig, tags: Mapping[str, str], parent: pulumi.Resource
) -> pulumi.Output[str]:
    if config.certificate_arn is not None:
        return pulumi.Output.from_input(config.certificate_arn)
    child = pulumi.ResourceOptions(parent=parent)
    certificate = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=config.domain_name,
        validation_method="DNS",
        key_algorithm="RSA_2048",
        tags=dict(tags),
        opts=child,
    )
    # Output types are dict subclasses, so the fields are read by key.
    options = certificate.domain_validation_options
    record = aws.route53.Record(
        f"{name}-certificate-validation-record",
        zone_id=str(config.hosted_zone_id),
        name=options.apply(lambda values: values[0]["resource_record_name"]),
        type=options.apply(lambda values: values[0]["resource_record_type"]),
        records=[options.apply(lambda values: values[0]["resource_record_value"])],
        ttl=300,
        allow_overwrite=True,
        opts=child,
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=child,
    )
    return validation.certificate_arn


def _alias(
    name: str,
    config: CustomDomainConfig,
    target_name: pulumi.Input[str],
    target_zone_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> None:
    if config.hosted_zone_id is None:
        return
    aws.route53.Record(
        f"{name}-domain-alias",
        zone_id=config.hosted_zone_id,
        name=config.domain_name,
        type="A",
        aliases=[{"name": target_name, "zone_id": target_zone_id, "evaluate_target_health": False}],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def create_rest_domain(
    name: str,
    *,
    config: CustomDomainConfig,
    rest_api_id: pulumi.Input[str],
    stage_name: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> CustomDomain:
    """Create a regional REST API domain name with TLS 1.2 and map the stage at its root."""
    check_domain(config)
    certificate_arn = _certificate(name, config, tags, parent)
    child = pulumi.ResourceOptions(parent=parent)
    domain = aws.apigateway.DomainName(
        f"{name}-domain",
        domain_name=config.domain_name,
        regional_certificate_arn=certificate_arn,
        endpoint_configuration={"types": "REGIONAL"},
        security_policy=SECURITY_POLICY,
        tags=dict(tags),
        opts=child,
    )
    aws.apigateway.BasePathMapping(
        f"{name}-domain-mapping",
        domain_name=domain.domain_name,
        rest_api=rest_api_id,
        stage_name=stage_name,
        opts=child,
    )
    _alias(name, config, domain.regional_domain_name, domain.regional_zone_id, parent)
    return CustomDomain(config.domain_name, certificate_arn, f"https://{config.domain_name}")


def create_http_domain(
    name: str,
    *,
    config: CustomDomainConfig,
    api_id: pulumi.Input[str],
    stage_name: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> CustomDomain:
    """Create a regional HTTP API domain name with TLS 1.2 and map the stage at its root."""
    check_domain(config)
    certificate_arn = _certificate(name, config, tags, parent)
    child = pulumi.ResourceOptions(parent=parent)
    domain = aws.apigatewayv2.DomainName(
        f"{name}-domain",
        domain_name=config.domain_name,
        domain_name_configuration={
            "certificate_arn": certificate_arn,
            "endpoint_type": "REGIONAL",
            "security_policy": SECURITY_POLICY,
        },
        tags=dict(tags),
        opts=child,
    )
    aws.apigatewayv2.ApiMapping(
        f"{name}-domain-mapping", api_id=api_id, domain_name=domain.domain_name, stage=stage_name, opts=child
    )
    target = domain.domain_name_configuration
    _alias(
        name,
        config,
        target.apply(lambda value: value["target_domain_name"]),
        target.apply(lambda value: value["hosted_zone_id"]),
        parent,
    )
    return CustomDomain(config.domain_name, certificate_arn, f"https://{config.domain_name}")
