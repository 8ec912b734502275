"""s3put.py - uploads test stores to an S3 server with boto3 (a real client),
for the remote tests (run with the peers' Python, tools/install-peers.sh).
Endpoint, keys and region come from the environment (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, ...), as for any boto3 program.

  s3put.py mb BUCKET                      makes a bucket
  s3put.py public BUCKET                  a policy letting anyone get and list
  s3put.py put BUCKET KEY FILE [PART_MIB] uploads one file; with PART_MIB, as
                                          a multipart upload of parts that big
                                          (boto3's TransferConfig); prints the
                                          ETag
  s3put.py put-tree BUCKET PREFIX DIR     uploads every file under DIR as
                                          PREFIX/relative/path, prints the count
  s3put.py rm-tree BUCKET PREFIX          deletes every key under PREFIX
  s3put.py sync BUCKET PREFIX DIR         makes PREFIX hold what DIR holds:
                                          every file put, every other key
                                          under PREFIX deleted
  s3put.py flip BUCKET SECS PAUSE KEY A B [KEY A B...]
                                          for SECS seconds, replaces each KEY
                                          with B, then with A, and so on (A is
                                          there already), sleeping PAUSE
                                          seconds between rounds; prints the
                                          number of replacements
"""

import json
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig


def client():
    return boto3.client("s3")


def rm_tree(s3, b, prefix, keep=()):
    """Deletes the keys under prefix but those in keep."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])
                if o["Key"] not in keep]
        if keys:
            s3.delete_objects(Bucket=b, Delete={"Objects": keys})


def main(argv):
    s3 = client()
    cmd = argv[0]
    if cmd == "mb":
        s3.create_bucket(Bucket=argv[1])
    elif cmd == "public":
        b = argv[1]
        s3.put_bucket_policy(Bucket=b, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*",
                           "Action": ["s3:GetObject", "s3:ListBucket"],
                           "Resource": ["arn:aws:s3:::%s" % b,
                                        "arn:aws:s3:::%s/*" % b]}]}))
    elif cmd == "put":
        b, key, path = argv[1:4]
        if len(argv) > 4:
            part = int(argv[4]) << 20
            cfg = TransferConfig(multipart_threshold=part, multipart_chunksize=part)
            s3.upload_file(path, b, key, Config=cfg)
        else:
            with open(path, "rb") as f:
                s3.put_object(Bucket=b, Key=key, Body=f.read())
        print(s3.head_object(Bucket=b, Key=key)["ETag"])
    elif cmd in ("put-tree", "sync"):
        b, prefix, top = argv[1:4]
        put = set()
        for d, _, files in os.walk(top):
            for f in sorted(files):
                p = os.path.join(d, f)
                key = prefix.rstrip("/") + "/" + os.path.relpath(p, top).replace(os.sep, "/")
                with open(p, "rb") as fh:
                    s3.put_object(Bucket=b, Key=key, Body=fh.read())
                put.add(key)
        if cmd == "sync":
            rm_tree(s3, b, prefix.rstrip("/") + "/", keep=put)
        print(len(put))
    elif cmd == "rm-tree":
        rm_tree(s3, argv[1], argv[2])
    elif cmd == "flip":
        b, secs, pause = argv[1], float(argv[2]), float(argv[3])
        keys = []
        for i in range(4, len(argv), 3):
            vs = []
            for p in argv[i + 1:i + 3]:
                with open(p, "rb") as f:
                    vs.append(f.read())
            keys.append((argv[i], vs))
        n, rnd, end = 0, 0, time.time() + secs
        while time.time() < end:
            rnd += 1
            for key, vs in keys:
                s3.put_object(Bucket=b, Key=key, Body=vs[rnd % 2])
                n += 1
            time.sleep(pause)
        print(n)
    else:
        print("s3put.py: unknown command %s" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
