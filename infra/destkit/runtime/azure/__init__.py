"""Azure Functions adapter of the streaming runtime and its Blob Storage store."""
