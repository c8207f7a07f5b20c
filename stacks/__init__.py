"""The CDK side of cruddur-messages: stage settings, the stack and its constructs."""
