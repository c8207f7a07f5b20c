"""The ddb tools: one CLI (`python -m tools <command>`) behind the course's `bin/ddb/*` scripts.

Local cloud by default, `AWS_ENDPOINT_URL` when set, real AWS with `--prod`. Not part of the Lambda
asset: the tools may depend on click and rich; the runtime code may not.
"""
