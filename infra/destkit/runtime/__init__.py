"""Function code that runs in the cloud and locally. Nothing here imports Pulumi."""
