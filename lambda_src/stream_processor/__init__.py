"""The stream processor (access pattern E): both participants' GRP# rows follow the newest message.

`handler` is the Lambda entry point (thin), `logic` holds every decision as plain functions over an
injected `GroupRows` port, and `group_rows` implements that port on DynamoDB with the schema module.
"""
