#!/usr/bin/env python3
"""Fills a project with AES-256-GCM keys through the bulk-import route (100 per request, spec 7.15).

usage: seed-keys.py BASE_URL TOKEN PROJECT_ID COUNT IDS_FILE [PARALLEL]

Writes the new keys' IDs to IDS_FILE, one per line, and exits non-zero if any key was refused.
The key material is random and thrown away: the benchmark only encrypts with these keys.
"""
import base64
import json
import os
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def import_batch(base, token, project, start, count):
    keys = [{"name": f"k-{i:07d}", "algorithm": "aes-256-gcm",
             "keyMaterial": base64.b64encode(os.urandom(32)).decode()} for i in range(start, start + count)]
    request = urllib.request.Request(
        f"{base}/api/v1/kms/keys/bulk-import", method="POST",
        data=json.dumps({"projectId": project, "keys": keys}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    if answer["errors"]:
        raise SystemExit(f"bulk import refused keys: {answer['errors'][:3]}")
    return [key["id"] for key in answer["keys"]]


def main():
    base, token, project, count, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    parallel = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    starts = range(0, count, 100)
    with ThreadPoolExecutor(parallel) as pool:
        batches = pool.map(lambda s: import_batch(base, token, project, s, min(100, count - s)), starts)
        ids = [key_id for batch in batches for key_id in batch]
    with open(out, "w") as f:
        f.write("\n".join(ids) + "\n")


if __name__ == "__main__":
    main()
