"""Exact policy documents of the AWS storage side: key, buckets, writers, Transfer Family.

These pure functions build every document the components register, so asserting them exactly
here pins what IAM, S3 and KMS will evaluate. The component tests check that the registered
documents are these.
"""

from __future__ import annotations

import base64

import pytest

from destkit.aws import buckets, dropzone, kms, sftp, sink
from destkit.outputs import encode_private_key

BUCKET = "arn:aws:s3:::acme-dev-s3-bucket-1234567"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REGION = "eu-west-1"

KMS_STATEMENT = {
    "Sid": "UseBucketKeyThroughS3",
    "Effect": "Allow",
    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": KEY,
    "Condition": {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [BUCKET, f"{BUCKET}/*"]},
    },
}


def test_key_policy_exact():
    assert kms.key_policy("aws", "111122223333", REGION) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                "Action": [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:log-group:*"
                    }
                },
            },
        ],
    }


def test_key_policy_partition():
    policy = kms.key_policy("aws-cn", "111122223333", "cn-north-1")
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws-cn:iam::111122223333:root"}


def test_key_policy_no_public_allow():
    for statement in kms.key_policy("aws", "111122223333", REGION)["Statement"]:
        assert statement["Principal"] not in ("*", {"AWS": "*"})


def test_writer_kms_statement_exact():
    assert kms.writer_kms_statement(KEY, BUCKET, REGION) == KMS_STATEMENT


def test_bucket_policy_exact():
    assert buckets.bucket_policy(BUCKET) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [BUCKET, f"{BUCKET}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyTlsBelow12",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [BUCKET, f"{BUCKET}/*"],
                "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
            },
        ],
    }


def test_bucket_policy_extra_last():
    extra = {"Sid": "Extra", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": BUCKET}
    statements = buckets.bucket_policy(BUCKET, [extra])["Statement"]
    assert statements[-1] == extra
    assert len(statements) == 3


def test_log_delivery_statement_exact():
    assert buckets.access_log_delivery_statement(BUCKET, "111122223333") == {
        "Sid": "S3ServerAccessLogsDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
    }


def test_sink_writer_statements_exact():
    assert sink.sink_writer_statements(BUCKET, KEY, REGION, "*/payloads/*") == [
        {
            "Sid": "WriteUnderPrefix",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": f"{BUCKET}/*/payloads/*",
        },
        KMS_STATEMENT,
    ]


@pytest.mark.parametrize("pattern", ["", "*", "/tenant/*"])
def test_sink_writer_rejects_bucket_wide(pattern):
    with pytest.raises(ValueError, match="prefix pattern"):
        sink.sink_writer_statements(BUCKET, KEY, REGION, pattern)


def test_writer_policy_exact():
    assert dropzone.writer_policy(BUCKET, "retail-eu", KEY, REGION) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LocateBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": BUCKET,
            },
            {
                "Sid": "ListBucket",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET,
            },
            {
                "Sid": "ReadWriteTenantObjects",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
                "Resource": f"{BUCKET}/retail-eu/*",
            },
            KMS_STATEMENT,
        ],
    }


def test_writer_policy_tenant_prefix_listing():
    assert dropzone.writer_policy(BUCKET, "retail-eu", KEY, REGION, "tenant_prefix") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LocateBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": BUCKET,
            },
            {
                "Sid": "ListTenantPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET,
                "Condition": {"StringLike": {"s3:prefix": ["retail-eu/", "retail-eu/*"]}},
            },
            {
                "Sid": "ReadWriteTenantObjects",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
                "Resource": f"{BUCKET}/retail-eu/*",
            },
            KMS_STATEMENT,
        ],
    }


def test_writer_policy_actions_are_aeps():
    statements = dropzone.writer_policy(BUCKET, "retail-eu", KEY, REGION)["Statement"]
    s3_actions: set[str] = set()
    for statement in statements:
        actions = statement["Action"]
        s3_actions.update(a for a in ([actions] if isinstance(actions, str) else actions) if a.startswith("s3:"))
    assert s3_actions == {
        "s3:DeleteObject",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "s3:ListMultipartUploadParts",
    }


def test_writer_policy_no_wildcard_resource():
    for statement in dropzone.writer_policy(BUCKET, "retail-eu", KEY, REGION)["Statement"]:
        assert statement["Resource"] != "*"


def test_adobe_trust_policy_exact():
    assert dropzone.adobe_trust_policy("example-org@AdobeOrg") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AdobeWriterWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::670664943635:user/destinations-adobe-user"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "example-org@AdobeOrg"}},
            }
        ],
    }


def test_adobe_trust_not_account_root():
    principal = dropzone.adobe_trust_policy("x1")["Statement"][0]["Principal"]["AWS"]
    assert not principal.endswith(":root")


def test_source_address_statement_exact():
    assert dropzone.source_address_statement(BUCKET, ["52.247.108.70/32"]) == {
        "Sid": "DenyWritersOutsideAllowedAddresses",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET, f"{BUCKET}/*"],
        "Condition": {
            "NotIpAddress": {"aws:SourceIp": ["52.247.108.70/32"]},
            "StringEquals": {"aws:PrincipalTag/destkit-aep-writer": "true"},
        },
    }


@pytest.mark.parametrize("source", ["user", "server"])
def test_transfer_trust_policy_exact(source):
    assert sftp.transfer_trust_policy("aws", "111122223333", REGION, source) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TransferFamilyInThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "transfer.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "111122223333"},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:transfer:eu-west-1:111122223333:{source}/*"},
                },
            }
        ],
    }


def test_sftp_user_policy_exact():
    assert sftp.sftp_user_policy(BUCKET, "wholesale", KEY, REGION) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListTenantPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET,
                "Condition": {"StringLike": {"s3:prefix": ["wholesale/", "wholesale/*"]}},
            },
            {
                "Sid": "ReadWriteTenantObjects",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                "Resource": f"{BUCKET}/wholesale/*",
            },
            KMS_STATEMENT,
        ],
    }


def test_transfer_logging_policy_exact():
    group = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/transfer/acme-dev-sftp"
    assert sftp.transfer_logging_policy(group) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteServerLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [group, f"{group}:*"],
            }
        ],
    }


def test_private_key_encoding_roundtrip():
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
    encoded = encode_private_key(pem)
    assert "\n" not in encoded
    assert base64.b64decode(encoded).decode("ascii") == pem


def test_transfer_user_name_min_length():
    assert sftp.transfer_user_name("a") == "aep-a"
