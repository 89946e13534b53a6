"""Lists the demo bucket's objects (key, size, SHA-256) from the S3_* environment;
`--create` makes the bucket first if it is missing. Used by scripts/run_s3.sh."""

from __future__ import annotations

import hashlib
import os
import sys

import boto3


def main() -> int:
    client = boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )
    bucket = os.environ["S3_BUCKET"]
    if "--create" in sys.argv:
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
        return 0
    prefix = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            line = f"{obj['Key']}\t{obj['Size']}"
            if "--sha256" in sys.argv:
                body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                line += "\t" + hashlib.sha256(body).hexdigest()
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
