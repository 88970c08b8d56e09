"""Pulumi type tokens of the GCP resources the controls read (pulumi-gcp 10)."""

CLOUD = "gcp"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_IAM_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
BUCKET_IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
AUDIT_CONFIG = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_IAM_BINDING = "gcp:projects/iAMBinding:IAMBinding"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key"
HMAC_KEY = "gcp:storage/hmacKey:HmacKey"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"  # noqa: S105 (a type token)
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
CRYPTO_KEY_IAM_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
CRYPTO_KEY_IAM_BINDING = "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding"
CRYPTO_KEY_IAM_POLICY = "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy"
KEY_RING_IAM_MEMBER = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
KEY_RING_IAM_BINDING = "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding"
KEY_RING_IAM_POLICY = "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy"
FUNCTION_IAM_MEMBER = "gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember"
FUNCTION_IAM_BINDING = "gcp:cloudfunctionsv2/functionIamBinding:FunctionIamBinding"
RUN_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_IAM_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"
RUN_SERVICE = "gcp:cloudrunv2/service:Service"
FUNCTION_V2 = "gcp:cloudfunctionsv2/function:Function"
FUNCTION_V1 = "gcp:cloudfunctions/function:Function"
API_CONFIG = "gcp:apigateway/apiConfig:ApiConfig"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
SERVERLESS = (FUNCTION_V2, RUN_SERVICE)
KMS_IAM_TYPES = (
    CRYPTO_KEY_IAM_MEMBER,
    CRYPTO_KEY_IAM_BINDING,
    CRYPTO_KEY_IAM_POLICY,
    KEY_RING_IAM_MEMBER,
    KEY_RING_IAM_BINDING,
    KEY_RING_IAM_POLICY,
)
