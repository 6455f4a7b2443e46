"""A real S3-compatible server on loopback for windowwatch's object-storage tests (moto's server).

It exists so the tests of `--data s3://…` talk S3 over a real socket — signed requests,
conditional PUTs, listings, copies — not to a mock of object_store. Started by tests/cli/s3.rs
with the Python that `scripts/test` installs (WINDOWWATCH_TEST_PYTHON, with moto[server]).

    python s3_server.py --bucket NAME

It binds 127.0.0.1 on a free port, creates the bucket, prints `READY <port>` and serves until
its stdin closes (the test ends).
"""

import argparse
import contextlib
import sys

import boto3
from moto.server import ThreadedMotoServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket", required=True)
    args = ap.parse_args()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    # moto announces itself on stdout; the test reads only `READY <port>` there.
    with contextlib.redirect_stdout(sys.stderr):
        server.start()
    host, port = server.get_host_and_port()
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=args.bucket)
    print(f"READY {port}", flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
