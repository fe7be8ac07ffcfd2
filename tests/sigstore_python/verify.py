#!/usr/bin/env python3
"""sigstore-python (the sigstore-conformance suite's reference client) on sigstore-conformance
`bundle-verify` cases, for gate's differential test (tests/it/verify.rs).

    verify.py CASES_DIR PRODUCTION_TRUSTED_ROOT

Prints one line per case: `NAME<TAB>verified|rejected|unsupported<TAB>detail`. A case with its
own `trusted_root.json` uses it, every other case PRODUCTION_TRUSTED_ROOT (the same roots gate
gets). Cases verified with a public key (`key.pub`) are `unsupported`: sigstore-python verifies
Fulcio identities only.
"""

import hashlib
import json
import os
import sys

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity

DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"


def read(path, default):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def main():
    cases_dir, production = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(cases_dir)):
        case = os.path.join(cases_dir, name)
        if not os.path.isdir(case):
            continue
        if os.path.exists(os.path.join(case, "key.pub")):
            print(f"{name}\tunsupported\tkey-based verification", flush=True)
            continue
        root = os.path.join(case, "trusted_root.json")
        root = root if os.path.exists(root) else production
        artifact = os.path.join(case, "artifact")
        artifact = artifact if os.path.exists(artifact) else os.path.join(cases_dir, "a.txt")
        policy = Identity(
            identity=read(os.path.join(case, "identity"), DEFAULT_IDENTITY),
            issuer=read(os.path.join(case, "issuer"), DEFAULT_ISSUER),
        )
        try:
            verifier = Verifier(trusted_root=TrustedRoot.from_file(root))
            with open(os.path.join(case, "bundle.sigstore.json")) as f:
                bundle = Bundle.from_json(f.read())
            with open(artifact, "rb") as f:
                data = f.read()
            if bundle._inner.dsse_envelope:
                # As `sigstore verify`: the envelope, then the in-toto subject's digest.
                _, payload = verifier.verify_dsse(bundle, policy)
                digest = hashlib.sha256(data).hexdigest()
                subjects = json.loads(payload).get("subject", [])
                if not any(s.get("digest", {}).get("sha256") == digest for s in subjects):
                    raise ValueError("no in-toto subject matches the artifact")
            else:
                verifier.verify_artifact(data, bundle, policy)
            print(f"{name}\tverified\t", flush=True)
        except Exception as e:  # every failure is a rejection, as in the suite's harness
            detail = " ".join(str(e).split())[:200]
            print(f"{name}\trejected\t{type(e).__name__}: {detail}", flush=True)


if __name__ == "__main__":
    main()
