"""GCP adapter of the streaming runtime: Cloud Functions entry points, GCS store, signJwt signer."""
