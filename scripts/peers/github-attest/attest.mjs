// GitHub-style build provenance, keyless and offline, made by the real packages a GitHub
// workflow uses (issue 19):
//   @actions/attest   attestProvenance(): reads the workflow's OIDC token, builds the SLSA v1
//                     predicate (buildType https://actions.github.io/buildtypes/workflow/v1),
//                     signs the in-toto statement through @sigstore/sign (Fulcio certificate,
//                     Rekor entry) into a v0.3 Sigstore bundle
//   @sigstore/mock    the Fulcio CA (with a CT log: embedded SCT), the timestamp authority and
//                     the Rekor log, as nock interceptors inside this process at the URLs
//                     @actions/attest signs with
//   @sigstore/oci     attachArtifactToImage(): what actions/attest does with push-to-registry,
//                     the bundle as an OCI referrer (artifactType
//                     application/vnd.dev.sigstore.bundle.v0.3+json), through the referrers
//                     API or the referrers tag schema
// What no package provides is GitHub itself: the runner's ID-token endpoint and the issuer's
// JWKS. This script plays them (nock, in process): it mints the ID token the runner would hand
// out (claims as GitHub documents them, signed with a key it makes) and serves that key as the
// issuer's JWKS, so @actions/attest verifies the token as it does on a runner.
//
// @sigstore/mock's Fulcio copies one token claim verbatim into the SAN (its `subjectClaim`
// option); real Fulcio builds a GitHub SAN as `https://github.com/{job_workflow_ref}`. The token
// therefore carries that URI in one more claim, `fulcio_san`, named as the subject claim; every
// other certificate extension comes from the GitHub claims by the mock's own mapping.
//
// The Sigstore instance (`--instance`), as @actions/attest chooses it by repository visibility:
//   github       (private repositories) Fulcio + timestamp authority at *.githubapp.com, no
//                transparency log: the trusted root lists the CA and the TSA only. The default.
//   public-good  (public repositories) Fulcio + Rekor at *.sigstore.dev. @sigstore/mock 0.13.0's
//                Rekor answers with the *proposed* entry as the logged body (dsse
//                `spec.proposedContent`, the request), not the canonical dsse body real Rekor
//                logs (`spec.payloadHash`, `spec.signatures[].verifier`), so the entry binds
//                nothing a verifier can check: gate (like sigstore-js's own verifier) refuses it.
//
// Usage: node attest.mjs --image HOST:PORT/REPO --subject DIGEST --attach DIGEST... --out DIR
//        [--instance github|public-good] [--repository OWNER/NAME] [--ref REF]
//        [--workflow PATH] [--sha HEX]
// Writes DIR/bundle.json and DIR/trusted_root.json (the mock CA, CT log and Rekor keys) and
// prints one JSON line: the certificate identity and the pushed referrers.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';

const npm = process.env.GATE_NPM_DIR || join(process.env.HOME, '.cache/gate/npm');
const require = createRequire(join(npm, 'package.json'));
const nock = require('nock');
const jose = require('jose');
const mock = require('@sigstore/mock');
const { attachArtifactToImage } = require('@sigstore/oci');
const { attestProvenance } = await import(
  pathToFileURL(join(npm, 'node_modules/@actions/attest/lib/index.js')).href
);

function args(argv) {
  const out = { attach: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (key === 'attach') out.attach.push(value);
    else out[key] = value;
  }
  for (const k of ['image', 'subject', 'out']) {
    if (!out[k]) throw new Error(`--${k} is required`);
  }
  return out;
}

const opts = args(process.argv.slice(2));
const repository = opts.repository || 'acme/app';
const ref = opts.ref || 'refs/heads/main';
const workflow = opts.workflow || '.github/workflows/release.yml';
const sha = opts.sha || 'a'.repeat(40);
const owner = repository.split('/')[0];
const workflowRef = `${repository}/${workflow}@${ref}`;

const instance = opts.instance || 'github';
if (!['github', 'public-good'].includes(instance)) throw new Error(`--instance ${instance}`);
const ISSUER = 'https://token.actions.githubusercontent.com';
const FULCIO = instance === 'github' ? 'https://fulcio.githubapp.com' : 'https://fulcio.sigstore.dev';
const TSA = 'https://timestamp.githubapp.com';
const REKOR = 'https://rekor.sigstore.dev';
const RUNNER = 'https://pipelines.actions.githubusercontent.invalid';

// Nothing leaves the machine: the only real connections are to the registry on loopback.
nock.disableNetConnect();
nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));

// The Sigstore services, from @sigstore/mock.
const caKeys = keyPair();
const rekorKeys = keyPair();
const ctKeys = keyPair();
const tsaKeys = keyPair();
function keyPair() {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}
const ctlog = await mock.initializeCTLog(ctKeys);
const ca = await mock.initializeCA(caKeys, ctlog);
intercept(FULCIO, mock.fulcioHandler(ca, { strict: true, subjectClaim: 'fulcio_san' }));
const tsa = await mock.initializeTSA(tsaKeys);
if (instance === 'github') {
  intercept(TSA, mock.tsaHandler(tsa, { strict: true }));
} else {
  const tlog = await mock.initializeTLog(REKOR, rekorKeys);
  intercept(REKOR, mock.rekorHandler(tlog, { strict: true }));
}

function intercept(base, handler) {
  nock(base)
    .post(handler.path)
    .reply(async (_uri, body) => {
      const req = typeof body === 'string' ? body : JSON.stringify(body);
      const { statusCode, response, contentType } = await handler.fn(req);
      return [statusCode, response, { 'Content-Type': contentType || 'text/plain' }];
    });
}

// GitHub: the runner's ID-token endpoint and the issuer's discovery document and JWKS.
const oidc = await jose.generateKeyPair('RS256');
const jwk = { ...(await jose.exportJWK(oidc.publicKey)), kid: 'gate-test', alg: 'RS256', use: 'sig' };
const now = Math.floor(Date.now() / 1000);
const claims = {
  jti: crypto.randomUUID(),
  sub: `repo:${repository}:ref:${ref}`,
  ref,
  sha,
  repository,
  repository_owner: owner,
  repository_owner_id: '1001',
  repository_id: '2002',
  repository_visibility: 'public',
  run_id: '3003',
  run_number: '7',
  run_attempt: '1',
  runner_environment: 'github-hosted',
  actor: 'octocat',
  actor_id: '4004',
  workflow: 'release',
  workflow_ref: workflowRef,
  workflow_sha: sha,
  job_workflow_ref: workflowRef,
  job_workflow_sha: sha,
  event_name: 'push',
  ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
  fulcio_san: `https://github.com/${workflowRef}`,
};
nock(ISSUER)
  .persist()
  .get('/.well-known/openid-configuration')
  .reply(200, { issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks` })
  .get('/.well-known/jwks')
  .reply(200, { keys: [jwk] });
nock(RUNNER)
  .persist()
  .get('/idtoken')
  .query(true)
  .reply(async (uri) => {
    const audience = new URL(uri, RUNNER).searchParams.get('audience') || ISSUER;
    const token = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'gate-test', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + 600)
      .sign(oidc.privateKey);
    return [200, { value: token }];
  });
process.env.ACTIONS_ID_TOKEN_REQUEST_URL = `${RUNNER}/idtoken?api-version=2.0`;
process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'runner-request-token';
process.env.GITHUB_SERVER_URL = 'https://github.com';

// What actions/attest-build-provenance does: attestProvenance, sigstore public-good.
const hex = opts.subject.replace(/^sha256:/, '');
const attestation = await attestProvenance({
  subjects: [{ name: opts.image, digest: { sha256: hex } }],
  token: 'unused: skipWrite',
  sigstore: instance,
  skipWrite: true,
});

// Push it as a referrer of each --attach digest (what push-to-registry does).
const bundle = Buffer.from(JSON.stringify(attestation.bundle));
const referrers = [];
for (const digest of opts.attach) {
  const d = await attachArtifactToImage({
    imageName: opts.image,
    imageDigest: digest,
    artifact: bundle,
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' },
    credentials: undefined,
  });
  referrers.push({ subject: digest, digest: d.digest });
}

// The trust root for what the mock signed with.
mkdirSync(opts.out, { recursive: true });
const b64 = (buf) => Buffer.from(buf).toString('base64');
const spki = (key) => key.export({ format: 'der', type: 'spki' });
const since = { start: new Date(Date.now() - 3600_000).toISOString() };
const log = (url, keyDer) => ({
  baseUrl: url,
  hashAlgorithm: 'SHA2_256',
  publicKey: { rawBytes: b64(keyDer), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: since },
  logId: { keyId: b64(crypto.createHash('sha256').update(keyDer).digest()) },
});
const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: instance === 'github' ? [] : [log(REKOR, spki(rekorKeys.publicKey))],
  certificateAuthorities: [
    {
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: FULCIO,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
      validFor: since,
    },
  ],
  ctlogs: [log('https://ctfe.sigstore.dev/test', Buffer.from(ctlog.publicKey))],
  timestampAuthorities:
    instance === 'github'
      ? [
          {
            subject: { organization: 'sigstore.mock', commonName: 'tsa' },
            uri: TSA,
            certChain: {
              certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }],
            },
            validFor: since,
          },
        ]
      : [],
};
writeFileSync(join(opts.out, 'bundle.json'), bundle);
writeFileSync(join(opts.out, 'trusted_root.json'), JSON.stringify(trustedRoot, null, 2));
console.log(
  JSON.stringify({
    identity: claims.fulcio_san,
    issuer: ISSUER,
    instance,
    repository,
    ref,
    workflow: workflowRef,
    tlogID: attestation.tlogID,
    referrers,
  }),
);
