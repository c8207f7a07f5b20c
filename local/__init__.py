"""The local cloud: an embedded AWS endpoint (moto), the real CDK deploy into it, and the stream
pump that plays the part of Lambda's event source mapping.

    server.py   the endpoint on localhost (moto's server) with the pump's stream hook
    authz/      authorization of the deployed role's calls (identity + gateway endpoint policies)
    deploy.py   `cdk bootstrap` + `cdk deploy -c stage=local` against it
    runtime.py  the deployed function's code package, imported in isolation
    pump.py     the event source mapping: stream shards -> filter -> batches -> handler
    demo.py     `make demo` and `make local`: all of the above, one command
"""
