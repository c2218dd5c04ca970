#!/usr/bin/env python3
"""The materialize baseline of `make bench`: a 64-thread boto3 downloader as a team would write
it — get_object per key, body written to OUT/<name>.

usage: boto3-download.py BUCKET PREFIX NAMES_FILE OUT [THREADS]
Credentials, region and endpoint come from the AWS environment variables.
"""
import os, sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

bucket, prefix, names_file, out = sys.argv[1:5]
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 64
names = [line.rstrip("\n") for line in open(names_file, encoding="utf-8") if line.strip()]
client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3"),
                      config=Config(max_pool_connections=threads, s3={"addressing_style": "path"}))

def fetch(name):
    body = client.get_object(Bucket=bucket, Key=prefix + name)["Body"].read()
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(body)
    return len(body)

with ThreadPoolExecutor(threads) as pool:
    total = sum(pool.map(fetch, names))
print(len(names), total)
