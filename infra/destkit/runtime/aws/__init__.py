"""AWS Lambda adapters: the intake handler, the Lambda authorizer and the S3 store."""
