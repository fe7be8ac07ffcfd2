#!/usr/bin/env python3
"""A TUF repository for gate's tests, built with the reference implementation (python-tuf,
`tuf.api.metadata`) the way Sigstore's repository is laid out: consistent snapshots, ECDSA P-256
keys, one target `trusted_root.json` served as `targets/<sha256>.trusted_root.json`.

    repo.py init DIR TARGET [--timestamp-expires SECONDS]
    repo.py publish DIR [--target FILE] [--timestamp-expires SECONDS]
        new targets, snapshot and timestamp versions (optionally a new target)
    repo.py rotate DIR      root v(n+1) with a new timestamp key; timestamp re-signed with it
    repo.py expire DIR      a new timestamp version that expired an hour ago
    repo.py rollback DIR    a new timestamp version that points at snapshot version 1
    repo.py tamper DIR      one byte of the served target flipped (its hash in targets.json stays)

DIR/www is what the mirror serves (metadata at the top, targets under targets/); DIR/keys holds
the private keys; DIR/www/1.root.json is the bootstrap root.
"""

import argparse
import hashlib
import os
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

ROLES = ["root", "targets", "snapshot", "timestamp"]
TARGET = "trusted_root.json"


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def key_path(d, role):
    return os.path.join(d, "keys", role + ".pem")


def new_signer(d, role):
    signer = CryptoSigner.generate_ecdsa()
    with open(key_path(d, role), "wb") as f:
        f.write(signer.private_bytes)
    return signer


def signer(d, role):
    with open(key_path(d, role), "rb") as f:
        private = load_pem_private_key(f.read(), None)
    return CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))


def www(d, *parts):
    return os.path.join(d, "www", *parts)


def write(d, md, name):
    md.to_file(www(d, name), JSONSerializer(compact=False))


def latest(d, role):
    versions = [
        int(n.split(".")[0])
        for n in os.listdir(www(d))
        if n.endswith("." + role + ".json") and n.split(".")[0].isdigit()
    ]
    return Metadata.from_file(www(d, f"{max(versions)}.{role}.json"))


def publish_target(d, target_file, targets):
    with open(target_file, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(www(d, "targets"), exist_ok=True)
    with open(www(d, "targets", f"{digest}.{TARGET}"), "wb") as f:
        f.write(data)
    targets.signed.targets[TARGET] = TargetFile.from_data(TARGET, data, ["sha256"])


def sign_timestamp(d, snapshot_version, expires_in, version):
    ts = Metadata(Timestamp(version=version, expires=now() + timedelta(seconds=expires_in)))
    ts.signed.snapshot_meta = MetaFile(version=snapshot_version)
    ts.sign(signer(d, "timestamp"))
    write(d, ts, "timestamp.json")


def init(args):
    d = args.dir
    os.makedirs(os.path.join(d, "keys"), exist_ok=True)
    os.makedirs(www(d), exist_ok=True)
    signers = {role: new_signer(d, role) for role in ROLES}
    root = Metadata(Root(expires=now() + timedelta(days=365), consistent_snapshot=True))
    for role, s in signers.items():
        root.signed.add_key(s.public_key, role)
    root.sign(signers["root"])
    write(d, root, "1.root.json")
    targets = Metadata(Targets(expires=now() + timedelta(days=30)))
    publish_target(d, args.target, targets)
    targets.sign(signers["targets"])
    write(d, targets, "1.targets.json")
    snapshot = Metadata(Snapshot(expires=now() + timedelta(days=30)))
    snapshot.signed.meta["targets.json"] = MetaFile(version=1)
    snapshot.sign(signers["snapshot"])
    write(d, snapshot, "1.snapshot.json")
    sign_timestamp(d, 1, args.timestamp_expires, 1)


def publish(args):
    d = args.dir
    targets = latest(d, "targets")
    targets.signed.version += 1
    targets.signed.expires = now() + timedelta(days=30)
    if args.target:
        publish_target(d, args.target, targets)
    targets.signatures.clear()
    targets.sign(signer(d, "targets"))
    write(d, targets, f"{targets.signed.version}.targets.json")
    snapshot = latest(d, "snapshot")
    snapshot.signed.version += 1
    snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
    snapshot.signatures.clear()
    snapshot.sign(signer(d, "snapshot"))
    write(d, snapshot, f"{snapshot.signed.version}.snapshot.json")
    ts = Metadata.from_file(www(d, "timestamp.json"))
    sign_timestamp(d, snapshot.signed.version, args.timestamp_expires, ts.signed.version + 1)


def rotate(args):
    d = args.dir
    root = latest(d, "root")
    old = root.signed.roles["timestamp"].keyids[0]
    root.signed.revoke_key(old, "timestamp")
    root.signed.add_key(new_signer(d, "timestamp").public_key, "timestamp")
    root.signed.version += 1
    root.signatures.clear()
    root.sign(signer(d, "root"))
    write(d, root, f"{root.signed.version}.root.json")
    ts = Metadata.from_file(www(d, "timestamp.json"))
    sign_timestamp(d, ts.signed.snapshot_meta.version, args.timestamp_expires, ts.signed.version + 1)


def expire(args):
    ts = Metadata.from_file(www(args.dir, "timestamp.json"))
    sign_timestamp(args.dir, ts.signed.snapshot_meta.version, -3600, ts.signed.version + 1)


def rollback(args):
    ts = Metadata.from_file(www(args.dir, "timestamp.json"))
    sign_timestamp(args.dir, 1, args.timestamp_expires, ts.signed.version + 1)


def tamper(args):
    targets = latest(args.dir, "targets")
    digest = targets.signed.targets[TARGET].hashes["sha256"]
    path = www(args.dir, "targets", f"{digest}.{TARGET}")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    # Same length, other bytes: only the hash can tell.
    data[len(data) // 2] ^= 0x01
    with open(path, "wb") as f:
        f.write(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["init", "publish", "rotate", "expire", "rollback", "tamper"])
    p.add_argument("dir")
    p.add_argument("target", nargs="?")
    p.add_argument("--target", dest="new_target")
    p.add_argument("--timestamp-expires", type=int, default=86400)
    args = p.parse_args()
    if args.command == "publish":
        args.target = args.new_target
    {"init": init, "publish": publish, "rotate": rotate, "expire": expire,
     "rollback": rollback, "tamper": tamper}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
