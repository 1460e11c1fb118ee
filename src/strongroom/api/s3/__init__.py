"""S3 handlers, one module per resource."""
