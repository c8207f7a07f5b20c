"""Template tests of the CDK app."""
