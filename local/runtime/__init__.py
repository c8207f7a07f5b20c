"""Lambda's runtime, locally: the deployed package in its own process under the runtime interface
client, with Lambda's environment, Timeout, MemorySize and logs.

    function.py          the deployed function's configuration and code package
    libraries.py         the libraries Lambda's Python runtime provides
    api.py               Lambda's Runtime API for one execution environment
    worker.py            one execution environment: the package under the runtime interface client
    logs.py              the function's log stream (log group and terminal) and the platform's lines
"""
