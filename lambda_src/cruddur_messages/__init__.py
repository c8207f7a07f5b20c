"""Cruddur direct messages on DynamoDB: the table's schema, timestamps and access patterns A-D.

Runtime-only: this package ships in the stream processor's Lambda asset, so it imports nothing
from the CDK and nothing beyond boto3 and the standard library.
"""
