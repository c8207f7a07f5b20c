"""The CDK side of cruddur-messages: stage settings, the stack and its constructs."""

import os
from pathlib import Path

# jsii starts its Node.js kernel at the first `import aws_cdk`, with JSII_NODE or else the `node` on
# PATH. make puts the project's Node 22 first on PATH; a tool run on its own (bin/ddb/capacity
# --stage) would get the machine's, and an end-of-life Node prints a dozen lines of warning. So
# every entry point that reaches the CDK through this package runs it on the project's Node.
_PROJECT_NODE = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "node"
if _PROJECT_NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_PROJECT_NODE))
