"""The local cloud: an embedded AWS endpoint (moto), the real CDK deploy into it, and the stream
pump that plays the part of Lambda's event source mapping.

    cloud.py             where it listens and which dummy credentials it takes
    server.py            the endpoint on localhost (moto's server) with the pump's stream hook
    authz/               authorization of the deployed role's calls (identity + endpoint policies)
    deploy.py            `cdk bootstrap` + `cdk deploy -c stage=local` against it
    runtime/             Lambda's runtime: Runtime API, awslambdaric workers, Timeout, memory, logs
    stream_events.py     stream records read, filtered and shaped as Lambda delivers them
    pump/                the event source mapping: stream shards -> filter -> batches -> worker
    demo.py              `make demo` and `make local`: all of the above, one command
    stopping.py          how they stop: SIGINT, SIGTERM or SIGHUP, to them or to their make
"""
