// Compatibility test: drives the official @infisical/sdk (exactly 5.0.2) against a running
// InfisicalKms server. Contract: shared spec kms-api.md (§6.7–6.9, §7.1–7.12, §8.2, §8.6.1,
// §8.7.1, §8.8.1, §8.9.1, §8.10.1).
//
// Environment (both required; the test FAILS when either is missing):
//   KMS_URL          origin of the running server, e.g. http://127.0.0.1:5123
//   KMS_ADMIN_TOKEN  bootstrap admin access token (§8.5)
//
// Run: node --test sdk-compat.test.mjs
//
// The admin set-up (project, identity, universal auth, client secret, membership) uses plain
// fetch with the admin token, because the SDK has no admin calls. Everything after the login
// goes through the SDK only. Nothing secret (tokens, client secrets) is ever printed.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InfisicalSDK } from '@infisical/sdk';

const EXPECTED_SDK_VERSION = '5.0.2';

const KMS_URL = (process.env.KMS_URL ?? '').trim();
const KMS_ADMIN_TOKEN = (process.env.KMS_ADMIN_TOKEN ?? '').trim();

// ---------------------------------------------------------------------------------------------
// Constants from the contract
// ---------------------------------------------------------------------------------------------

const RSA_SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_512',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_256',
]; // §5.4 / §7.10
const ECC_SIGNING_ALGORITHMS = ['ECDSA_SHA_512', 'ECDSA_SHA_384', 'ECDSA_SHA_256']; // §5.5 / §7.10

const DECRYPTION_FAILED = 'Decryption failed: the ciphertext is invalid or was not produced by this key'; // §2.5
const PSS_DIGEST_REJECTED = 'RSA PSS does not support digested input'; // §6.8

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/; // §1.5 (lowercase)
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/; // §1.6
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/; // §1.4

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const suffix = crypto.randomBytes(4).toString('hex'); // makes names unique per run
const b64 = (buf) => Buffer.from(buf).toString('base64');

/** Decodes canonical, strict base64 (§1.4); fails the test on anything else. */
function fromB64(value, what) {
  assert.equal(typeof value, 'string', `${what} must be a string, got ${typeof value}`);
  assert.match(value, BASE64_RE, `${what} is not standard padded base64`);
  const buf = Buffer.from(value, 'base64');
  assert.equal(buf.toString('base64'), value, `${what} is not canonical base64`);
  return buf;
}

/** Signing algorithm → node:crypto hash name and hash length in bytes. */
function hashOf(signingAlgorithm) {
  const m = /_SHA_(256|384|512)$/.exec(signingAlgorithm);
  assert.ok(m, `unknown hash in ${signingAlgorithm}`);
  return { name: `sha${m[1]}`, bytes: Number(m[1]) / 8 };
}

/** What node:crypto expects, for failure messages. */
function schemeHint(signingAlgorithm) {
  const { name, bytes } = hashOf(signingAlgorithm);
  if (signingAlgorithm.startsWith('RSASSA_PSS_')) return `RSASSA-PSS, ${name}, MGF1-${name}, salt length ${bytes} bytes`;
  if (signingAlgorithm.startsWith('RSASSA_PKCS1_V1_5_')) return `RSASSA-PKCS1-v1_5 with the ${name} DigestInfo`;
  return `ECDSA over ${name}, DER-encoded signature`;
}

/** Verifies a server signature with node:crypto against the ORIGINAL message (§6.7). */
function nodeVerify(signingAlgorithm, publicKey, message, signature) {
  const { name, bytes } = hashOf(signingAlgorithm);
  let key;
  if (signingAlgorithm.startsWith('RSASSA_PSS_')) {
    key = { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: bytes };
  } else if (signingAlgorithm.startsWith('RSASSA_PKCS1_V1_5_')) {
    key = { key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING };
  } else if (signingAlgorithm.startsWith('ECDSA_')) {
    key = { key: publicKey, dsaEncoding: 'der' };
  } else {
    assert.fail(`unexpected signing algorithm ${signingAlgorithm}`);
  }
  return crypto.verify(name, message, key, signature);
}

/** Flips one bit of a copy of buf at index i (negative i counts from the end). */
function flipBit(buf, i) {
  const copy = Buffer.from(buf);
  const idx = i < 0 ? copy.length + i : i;
  copy[idx] ^= 0x01;
  return copy;
}

/**
 * Asserts that an SDK call rejects with the error the SDK builds from a server error body
 * (newInfisicalError in the SDK): an InfisicalSDKRequestError whose message is
 * "[URL=…] [Method=…] [StatusCode=<status>] <server message>".
 */
async function expectSdkError(promise, status, serverMessage, context = '') {
  const where = context ? `${context}: ` : '';
  let thrown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown, `${where}expected the SDK to throw "${serverMessage}" (HTTP ${status}), but the call succeeded`);
  assert.equal(
    thrown.name,
    'InfisicalSDKRequestError',
    `${where}expected InfisicalSDKRequestError (server error body with a string message), got ${thrown.name}: ${thrown.message}`,
  );
  const tail = `[StatusCode=${status}] ${serverMessage}`;
  assert.ok(
    thrown.message.endsWith(tail),
    `${where}SDK error message should end with ${JSON.stringify(tail)}, got ${JSON.stringify(thrown.message)}`,
  );
}

/** Removes secret members from a JSON body before it goes into an error message. */
function redact(body) {
  return JSON.stringify(body, (k, v) =>
    ['clientSecret', 'accessToken', 'token'].includes(k) ? '<redacted>' : v,
  );
}

/** Admin REST call with plain fetch (the SDK has no admin calls). Returns the parsed body. */
async function admin(method, route, body) {
  const url = KMS_URL.replace(/\/+$/, '') + route;
  const init = {
    method,
    headers: { Authorization: `Bearer ${KMS_ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(15_000),
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    const cause = err.cause ? ` (${[err.cause.code, err.cause.message ?? String(err.cause)].filter(Boolean).join(': ')})` : '';
    throw new Error(`${method} ${route}: cannot reach the server at KMS_URL=${KMS_URL}: ${err.message}${cause}`);
  }
  const text = await res.text();
  let parsed;
  try {
    parsed = text.length ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status !== 200) {
    const shown = parsed !== undefined ? redact(parsed) : JSON.stringify(text.slice(0, 500));
    throw new Error(`${method} ${route} answered HTTP ${res.status}, expected 200: ${shown}`);
  }
  assert.ok(
    parsed && typeof parsed === 'object' && !Array.isArray(parsed),
    `${method} ${route}: success body must be a JSON object (§1.3)`,
  );
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Shared state, filled by earlier tests; later tests fail (never skip) if a prerequisite is missing
// ---------------------------------------------------------------------------------------------

const state = {
  project: null, // { id, orgId }
  identityId: null,
  clientId: null,
  clientSecret: null, // never printed
  sdk: null,
  keys: {}, // label → { key, name, ... }
  signingAlgorithms: {}, // label → string[] as listed by the server
  publicKeys: {}, // label → KeyObject
};

function need(what, value) {
  if (value === null || value === undefined) {
    assert.fail(`prerequisite missing: ${what} (an earlier test failed)`);
  }
  return value;
}
const sdk = () => need('authenticated SDK client', state.sdk);
const keyOf = (label) => need(`${label} key`, state.keys[label]).key;

const KEY_SPECS = {
  rsa: { label: 'RSA_4096', keyUsage: 'sign-verify', encryptionAlgorithm: 'RSA_4096', name: `compat-rsa-${suffix}` },
  ecc: { label: 'ECC_NIST_P256', keyUsage: 'sign-verify', encryptionAlgorithm: 'ECC_NIST_P256', name: `compat-ecc-${suffix}` },
  aes256: { label: 'aes-256-gcm', keyUsage: 'encrypt-decrypt', encryptionAlgorithm: 'aes-256-gcm', name: `compat-aes256-${suffix}` },
  aes128: { label: 'aes-128-gcm', keyUsage: 'encrypt-decrypt', encryptionAlgorithm: 'aes-128-gcm', name: `compat-aes128-${suffix}` },
};

// ---------------------------------------------------------------------------------------------
// Environment check: fail loudly, never skip
// ---------------------------------------------------------------------------------------------

const envProblems = [];
if (!KMS_URL) envProblems.push('KMS_URL is not set (expected the origin of a running InfisicalKms server, e.g. http://127.0.0.1:5123)');
else if (!/^https?:\/\/[^/]+/i.test(KMS_URL)) envProblems.push(`KMS_URL=${KMS_URL} is not an http(s) URL`);
if (!KMS_ADMIN_TOKEN) envProblems.push('KMS_ADMIN_TOKEN is not set (expected the bootstrap admin access token)');

if (envProblems.length > 0) {
  const message = `InfisicalKms SDK compatibility test cannot run:\n  - ${envProblems.join('\n  - ')}`;
  console.error(message);
  process.exitCode = 1;
  it('environment: KMS_URL and KMS_ADMIN_TOKEN are set', () => {
    assert.fail(message);
  });
} else {
  registerSuite();
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

function registerSuite() {
  describe(`InfisicalKms compatibility with @infisical/sdk ${EXPECTED_SDK_VERSION}`, { timeout: 120_000 }, () => {
    after(async () => {
      // Best-effort cleanup with the admin token; never fails the run.
      try {
        if (state.project) await admin('DELETE', `/api/v1/projects/${encodeURIComponent(state.project.id)}`);
        if (state.identityId) await admin('DELETE', `/api/v1/identities/${state.identityId}`);
      } catch (err) {
        console.error(`cleanup (ignored): ${err.message}`);
      }
    });

    // ------------------------------------------------------------------ environment and set-up

    it(`environment: installed @infisical/sdk is exactly ${EXPECTED_SDK_VERSION}`, () => {
      const require = createRequire(import.meta.url);
      const entry = require.resolve('@infisical/sdk'); // …/node_modules/@infisical/sdk/lib/cjs/index.js
      const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', '..', 'package.json'), 'utf8'));
      assert.equal(pkg.name, '@infisical/sdk');
      assert.equal(pkg.version, EXPECTED_SDK_VERSION, 'run `npm ci` in this folder');
    });

    it('setup (admin REST): create a project, an identity with universal auth and a client secret, add it as project member', async () => {
      // §8.6.1 create project
      const created = await admin('POST', '/api/v1/projects', { projectName: `SDK compat ${suffix}` });
      const project = created.project;
      assert.ok(project && typeof project.id === 'string' && project.id.length > 0, 'project.id missing in create-project response');
      assert.equal(project.type, 'kms');
      let orgId = project.orgId;
      if (!orgId) {
        // §8.6.2 fallback: take orgId from the project list.
        const listed = await admin('GET', '/api/v1/projects');
        orgId = listed.projects?.find((p) => p.id === project.id)?.orgId;
      }
      assert.equal(typeof orgId, 'string', 'could not determine the organization ID (project.orgId)');
      state.project = { id: project.id, orgId };

      // §8.7.1 create identity
      const identity = (await admin('POST', '/api/v1/identities', { name: `sdk-compat-${suffix}`, organizationId: orgId })).identity;
      assert.ok(identity && UUID_RE.test(identity.id), 'identity.id missing or not a lowercase UUID');
      assert.equal(identity.orgId, orgId);
      state.identityId = identity.id;

      // §8.8.1 attach universal auth
      const ua = (await admin('POST', `/api/v1/auth/universal-auth/identities/${identity.id}`, {})).identityUniversalAuth;
      assert.ok(ua && typeof ua.clientId === 'string' && ua.clientId.length > 0, 'identityUniversalAuth.clientId missing');
      assert.equal(ua.identityId, identity.id);
      state.clientId = ua.clientId;

      // §8.9.1 create client secret (the secret is never printed)
      const cs = await admin('POST', `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`, {});
      assert.ok(typeof cs.clientSecret === 'string' && cs.clientSecret.length > 0, 'clientSecret missing in create-client-secret response');
      state.clientSecret = cs.clientSecret;

      // §8.10.1 add identity to project with role member
      const membership = (
        await admin('POST', `/api/v1/projects/${encodeURIComponent(project.id)}/identity-memberships/${identity.id}`, { role: 'member' })
      ).identityMembership;
      assert.ok(membership, 'identityMembership missing');
      assert.equal(membership.role, 'member');
      assert.equal(membership.identityId, identity.id);
      assert.equal(membership.projectId, project.id);
    });

    it('sdk auth: universalAuth.login({ clientId, clientSecret }) authenticates the SDK', async () => {
      const clientId = need('client ID', state.clientId);
      const clientSecret = need('client secret', state.clientSecret);
      const client = new InfisicalSDK({ siteUrl: KMS_URL });
      const returned = await client.auth().universalAuth.login({ clientId, clientSecret });
      assert.ok(returned === client, 'login() should resolve to the SDK instance'); // never inspect the SDK (it holds the token)
      const token = client.auth().getAccessToken();
      assert.equal(typeof token, 'string', 'SDK holds no access token after login');
      assert.ok(token.length > 0, 'SDK holds an empty access token after login');
      // assert.ok on a boolean, so that a failure never puts the token into the report.
      assert.ok(/^[A-Za-z0-9._-]+$/.test(token), 'access token has characters outside A–Z a–z 0–9 - _ . (§1.7)');
      state.sdk = client;
    });

    // ------------------------------------------------------------------ key creation (§7.1)

    for (const id of ['rsa', 'ecc', 'aes256', 'aes128']) {
      const spec = KEY_SPECS[id];
      it(`keys().create: ${spec.label} (${spec.keyUsage}) returns a complete key object`, { timeout: 30_000 }, async () => {
        const projectId = need('project', state.project).id;
        const description = `sdk compat ${spec.label}`;
        const key = await sdk().kms().keys().create({
          projectId,
          name: spec.name,
          description,
          keyUsage: spec.keyUsage,
          encryptionAlgorithm: spec.encryptionAlgorithm,
        });
        assert.ok(key && typeof key === 'object', 'create() returned no key object');
        assert.equal(typeof key.id, 'string', 'key.id missing');
        // Stored before the field checks so that a wrong field does not cascade into later tests.
        state.keys[id] = { key, name: spec.name };
        assert.match(String(key.id), UUID_RE, 'key.id must be a lowercase UUID');
        assert.equal(key.name, spec.name);
        assert.equal(key.description, description);
        assert.equal(key.projectId, projectId);
        assert.equal(key.orgId, state.project.orgId);
        assert.equal(key.keyUsage, spec.keyUsage);
        assert.equal(key.encryptionAlgorithm, spec.encryptionAlgorithm);
        assert.equal(key.algorithm, spec.encryptionAlgorithm, 'key.algorithm must equal encryptionAlgorithm (§3)');
        assert.equal(key.version, 1);
        assert.equal(key.isDisabled, false);
        assert.equal(key.isExportable, false, 'isExportable defaults to false when the client does not send it');
        assert.match(String(key.createdAt), TIMESTAMP_RE, 'createdAt format (§1.6)');
        assert.match(String(key.updatedAt), TIMESTAMP_RE, 'updatedAt format (§1.6)');
      });
    }

    // ------------------------------------------------------------------ encryption (§6.2, §6.3, §7.7, §7.8)

    for (const id of ['aes256', 'aes128']) {
      const label = KEY_SPECS[id].label;
      it(`encryption: ${label} round trips (text, empty, all 256 byte values, 4 KiB random) with v01 blobs of length plaintext + 31`, async () => {
        const key = keyOf(id);
        const enc = sdk().kms().encryption();
        const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const cases = [
          ['text', Buffer.from('hello world from @infisical/sdk', 'utf8')],
          ['empty', Buffer.alloc(0)],
          ['all 256 byte values', allBytes],
          ['4 KiB random', crypto.randomBytes(4096)],
        ];
        for (const [what, plain] of cases) {
          const ciphertext = await enc.encrypt({ keyId: key.id, plaintext: b64(plain) });
          const blob = fromB64(ciphertext, `ciphertext (${what})`);
          assert.equal(blob.length, plain.length + 31, `ciphertext length for ${what} plaintext`);
          assert.equal(blob.subarray(-3).toString('latin1'), 'v01', `ciphertext (${what}) must end with ASCII "v01"`);
          const decrypted = await enc.decrypt({ keyId: key.id, ciphertext });
          assert.equal(typeof decrypted, 'string', `decrypt (${what}) must return a base64 string`);
          assert.deepEqual(fromB64(decrypted, `plaintext (${what})`), plain, `round trip of ${what} plaintext`);
        }
      });

      it(`encryption: ${label} encrypting the same plaintext twice gives different ciphertexts (random IV)`, async () => {
        const key = keyOf(id);
        const enc = sdk().kms().encryption();
        const plaintext = b64(Buffer.from('same plaintext twice'));
        const c1 = fromB64(await enc.encrypt({ keyId: key.id, plaintext }), 'ciphertext 1');
        const c2 = fromB64(await enc.encrypt({ keyId: key.id, plaintext }), 'ciphertext 2');
        assert.notDeepEqual(c1, c2, 'two encryptions must differ');
        assert.notDeepEqual(c1.subarray(0, 12), c2.subarray(0, 12), 'the 12-byte IVs must differ');
        for (const c of [c1, c2]) {
          assert.equal(Buffer.from(await enc.decrypt({ keyId: key.id, ciphertext: b64(c) }), 'base64').toString(), 'same plaintext twice');
        }
      });

      it(`encryption: ${label} decrypting a tampered ciphertext throws "${DECRYPTION_FAILED}"`, async () => {
        const key = keyOf(id);
        const enc = sdk().kms().encryption();
        const blob = fromB64(await enc.encrypt({ keyId: key.id, plaintext: b64(Buffer.from('tamper me')) }), 'ciphertext');
        // Flip a bit of the IV, of the encrypted bytes and of the tag; keep the "v01" suffix intact.
        for (const [where, index] of [['IV', 0], ['ciphertext body', 12], ['tag', -4]]) {
          await expectSdkError(
            enc.decrypt({ keyId: key.id, ciphertext: b64(flipBit(blob, index)) }),
            400,
            DECRYPTION_FAILED,
            `tampered ${where}`,
          );
        }
        // Truncated blob (shorter than 31 bytes) and wrong suffix: the same single message (§2.5).
        await expectSdkError(enc.decrypt({ keyId: key.id, ciphertext: b64(blob.subarray(0, 20)) }), 400, DECRYPTION_FAILED, 'truncated blob');
        const badSuffix = Buffer.concat([blob.subarray(0, -3), Buffer.from('v09')]);
        await expectSdkError(enc.decrypt({ keyId: key.id, ciphertext: b64(badSuffix) }), 400, DECRYPTION_FAILED, 'suffix "v09"');
      });
    }

    it('encryption: a ciphertext of the aes-256-gcm key does not decrypt under the aes-128-gcm key', async () => {
      const k256 = keyOf('aes256');
      const k128 = keyOf('aes128');
      const enc = sdk().kms().encryption();
      const ciphertext = await enc.encrypt({ keyId: k256.id, plaintext: b64(Buffer.from('other key')) });
      await expectSdkError(enc.decrypt({ keyId: k128.id, ciphertext }), 400, DECRYPTION_FAILED);
    });

    // ------------------------------------------------------------------ signing algorithms and public keys (§6.9, §7.9, §7.10)

    it('signing: listSigningAlgorithms for RSA_4096 returns the six RSASSA_* algorithms in contract order', async () => {
      const key = keyOf('rsa');
      const list = await sdk().kms().signing().listSigningAlgorithms({ keyId: key.id });
      assert.deepEqual(list, RSA_SIGNING_ALGORITHMS);
      state.signingAlgorithms.rsa = list;
    });

    it('signing: listSigningAlgorithms for ECC_NIST_P256 returns ECDSA_SHA_512, ECDSA_SHA_384, ECDSA_SHA_256', async () => {
      const key = keyOf('ecc');
      const list = await sdk().kms().signing().listSigningAlgorithms({ keyId: key.id });
      assert.deepEqual(list, ECC_SIGNING_ALGORITHMS);
      state.signingAlgorithms.ecc = list;
    });

    it('signing: getPublicKey for RSA_4096 is base64 SPKI DER of a 4096-bit RSA key, exponent 65537', async () => {
      const key = keyOf('rsa');
      const pk = await sdk().kms().signing().getPublicKey({ keyId: key.id });
      const der = fromB64(pk, 'publicKey');
      const publicKey = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
      assert.equal(publicKey.type, 'public');
      assert.equal(publicKey.asymmetricKeyType, 'rsa', 'must be rsaEncryption, not RSA-PSS');
      assert.equal(publicKey.asymmetricKeyDetails.modulusLength, 4096);
      assert.equal(publicKey.asymmetricKeyDetails.publicExponent, 65537n);
      assert.deepEqual(publicKey.export({ type: 'spki', format: 'der' }), der, 'SPKI must be canonical DER (parameters NULL)');
      state.publicKeys.rsa = publicKey;
    });

    it('signing: getPublicKey for ECC_NIST_P256 is base64 SPKI DER of a prime256v1 key with an uncompressed point', async () => {
      const key = keyOf('ecc');
      const pk = await sdk().kms().signing().getPublicKey({ keyId: key.id });
      const der = fromB64(pk, 'publicKey');
      const publicKey = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
      assert.equal(publicKey.type, 'public');
      assert.equal(publicKey.asymmetricKeyType, 'ec');
      assert.equal(publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
      assert.equal(der.length, 91, 'P-256 SPKI with an uncompressed point is 91 bytes');
      assert.deepEqual(publicKey.export({ type: 'spki', format: 'der' }), der, 'SPKI must be canonical DER (named curve, uncompressed)');
      state.publicKeys.ecc = publicKey;
    });

    // ------------------------------------------------------------------ sign / verify (§6.7, §6.8, §7.11, §7.12)

    const message = Buffer.concat([Buffer.from('InfisicalKms SDK compatibility message '), crypto.randomBytes(200)]);
    const tamperedMessage = flipBit(message, 5);

    for (const [id, algorithms] of [['rsa', RSA_SIGNING_ALGORITHMS], ['ecc', ECC_SIGNING_ALGORITHMS]]) {
      for (const signingAlgorithm of algorithms) {
        const isPss = signingAlgorithm.startsWith('RSASSA_PSS_');
        const isPkcs1 = signingAlgorithm.startsWith('RSASSA_PKCS1_V1_5_');
        const isEcdsa = signingAlgorithm.startsWith('ECDSA_');

        const checkSignatureShape = (signature) => {
          if (id === 'rsa') {
            assert.equal(signature.length, 512, 'RSA-4096 signatures are 512 bytes');
          } else {
            assert.equal(signature[0], 0x30, 'ECDSA signature must be DER SEQUENCE { r, s }, not raw r||s');
            assert.ok(signature.length >= 8 && signature.length <= 72, `DER ECDSA P-256 signature length ${signature.length}`);
          }
        };

        it(`signing: ${KEY_SPECS[id].label} ${signingAlgorithm} sign (isDigest false) → SDK verify true, tampered false, node:crypto verifies`, async () => {
          const key = keyOf(id);
          const listed = need(`listed signing algorithms of ${KEY_SPECS[id].label}`, state.signingAlgorithms[id]);
          assert.ok(listed.includes(signingAlgorithm), `${signingAlgorithm} is not listed for the key`);
          const publicKey = need(`public key of ${KEY_SPECS[id].label}`, state.publicKeys[id]);
          const signing = sdk().kms().signing();
          const { name: hashName, bytes: hashLen } = hashOf(signingAlgorithm);
          const digest = crypto.createHash(hashName).update(message).digest();

          const res = await signing.sign({ keyId: key.id, data: b64(message), signingAlgorithm });
          assert.equal(res.keyId, key.id, 'sign response keyId');
          assert.equal(res.signingAlgorithm, signingAlgorithm, 'sign response echoes signingAlgorithm');
          const signature = fromB64(res.signature, 'signature');
          checkSignatureShape(signature);

          assert.equal(nodeVerify(signingAlgorithm, publicKey, message, signature), true, `node:crypto must verify the server signature (${schemeHint(signingAlgorithm)})`);
          assert.equal(nodeVerify(signingAlgorithm, publicKey, tamperedMessage, signature), false, 'node:crypto must reject it for a modified message');

          const ok = await signing.verify({ keyId: key.id, data: b64(message), signature: res.signature, signingAlgorithm });
          assert.equal(ok.signatureValid, true, 'SDK verify of the genuine message');
          assert.equal(ok.keyId, key.id, 'verify response keyId');
          assert.equal(ok.signingAlgorithm, signingAlgorithm, 'verify response echoes signingAlgorithm');

          const bad = await signing.verify({ keyId: key.id, data: b64(tamperedMessage), signature: res.signature, signingAlgorithm });
          assert.equal(bad.signatureValid, false, 'SDK verify of a modified message');

          const badSig = await signing.verify({ keyId: key.id, data: b64(message), signature: b64(flipBit(signature, -1)), signingAlgorithm });
          assert.equal(badSig.signatureValid, false, 'SDK verify of a modified signature');

          if (isPss) {
            // PSS is randomized (§6.7): a second signature differs but verifies too.
            const again = fromB64((await signing.sign({ keyId: key.id, data: b64(message), signingAlgorithm })).signature, 'signature 2');
            assert.notDeepEqual(again, signature, 'RSASSA-PSS signatures must be randomized');
            assert.equal(nodeVerify(signingAlgorithm, publicKey, message, again), true);
            // saltLength must be exactly the hash length: node must reject other salt lengths.
            const wrongSalt = crypto.verify(hashName, message, {
              key: publicKey,
              padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
              saltLength: hashLen === 32 ? 20 : 32,
            }, signature);
            assert.equal(wrongSalt, false, 'PSS salt length must equal the hash length');
          } else {
            // The server-side signature also verifies via SDK when the client passes the digest.
            const viaDigest = await signing.verify({ keyId: key.id, data: b64(digest), signature: res.signature, signingAlgorithm, isDigest: true });
            assert.equal(viaDigest.signatureValid, true, 'SDK verify with isDigest true of a message signature');
          }
        });

        if (isPkcs1 || isEcdsa) {
          it(`signing: ${KEY_SPECS[id].label} ${signingAlgorithm} sign (isDigest true) → SDK verify true, node:crypto verifies against the original message`, async () => {
            const key = keyOf(id);
            const publicKey = need(`public key of ${KEY_SPECS[id].label}`, state.publicKeys[id]);
            const signing = sdk().kms().signing();
            const { name: hashName } = hashOf(signingAlgorithm);
            const digest = crypto.createHash(hashName).update(message).digest();
            const tamperedDigest = crypto.createHash(hashName).update(tamperedMessage).digest();

            const res = await signing.sign({ keyId: key.id, data: b64(digest), signingAlgorithm, isDigest: true });
            assert.equal(res.keyId, key.id);
            assert.equal(res.signingAlgorithm, signingAlgorithm);
            const signature = fromB64(res.signature, 'signature');
            checkSignatureShape(signature);

            assert.equal(nodeVerify(signingAlgorithm, publicKey, message, signature), true, `node:crypto must verify a digest signature against the ORIGINAL message (${schemeHint(signingAlgorithm)})`);
            assert.equal(nodeVerify(signingAlgorithm, publicKey, tamperedMessage, signature), false);

            const ok = await signing.verify({ keyId: key.id, data: b64(digest), signature: res.signature, signingAlgorithm, isDigest: true });
            assert.equal(ok.signatureValid, true, 'SDK verify (isDigest true) of the digest');
            const okMsg = await signing.verify({ keyId: key.id, data: b64(message), signature: res.signature, signingAlgorithm });
            assert.equal(okMsg.signatureValid, true, 'SDK verify (isDigest false) of the original message');

            const bad = await signing.verify({ keyId: key.id, data: b64(tamperedDigest), signature: res.signature, signingAlgorithm, isDigest: true });
            assert.equal(bad.signatureValid, false, 'SDK verify (isDigest true) of a modified digest');

            if (isPkcs1) {
              // PKCS#1 v1.5 is deterministic (§6.7): signing the digest equals signing the message.
              const fromMessage = await signing.sign({ keyId: key.id, data: b64(message), signingAlgorithm });
              assert.equal(fromMessage.signature, res.signature, 'PKCS#1 v1.5: sign(H(m), isDigest) must equal sign(m)');
            }
          });
        }
      }
    }

    it(`signing: RSASSA_PSS_* with isDigest true makes sign and verify throw "${PSS_DIGEST_REJECTED}"`, async () => {
      const key = keyOf('rsa');
      const signing = sdk().kms().signing();
      for (const signingAlgorithm of RSA_SIGNING_ALGORITHMS.filter((a) => a.startsWith('RSASSA_PSS_'))) {
        const digest = crypto.createHash(hashOf(signingAlgorithm).name).update(message).digest();
        await expectSdkError(
          signing.sign({ keyId: key.id, data: b64(digest), signingAlgorithm, isDigest: true }),
          400,
          PSS_DIGEST_REJECTED,
          `sign ${signingAlgorithm}`,
        );
        await expectSdkError(
          signing.verify({ keyId: key.id, data: b64(digest), signature: b64(Buffer.alloc(512, 1)), signingAlgorithm, isDigest: true }),
          400,
          PSS_DIGEST_REJECTED,
          `verify ${signingAlgorithm}`,
        );
      }
    });

    // ------------------------------------------------------------------ get by name, delete (§7.3, §7.6)

    it('keys().getByName returns the same key (id, name, algorithm) for every created key', async () => {
      const projectId = need('project', state.project).id;
      for (const id of ['rsa', 'ecc', 'aes256', 'aes128']) {
        const created = keyOf(id);
        const found = await sdk().kms().keys().getByName({ projectId, name: created.name });
        assert.equal(found.id, created.id, `getByName(${created.name}).id`);
        assert.equal(found.name, created.name);
        assert.equal(found.projectId, projectId);
        assert.equal(found.encryptionAlgorithm, created.encryptionAlgorithm);
        assert.equal(found.keyUsage, created.keyUsage);
        assert.equal(found.version, 1);
      }
    });

    it('keys().delete returns the deleted key; afterwards getByName throws 404 and the key ID is gone', async () => {
      const projectId = need('project', state.project).id;
      for (const id of ['rsa', 'ecc', 'aes256', 'aes128']) {
        const created = keyOf(id);
        const deleted = await sdk().kms().keys().delete({ keyId: created.id });
        assert.equal(deleted.id, created.id, `delete(${created.name}) returns the key`);
        assert.equal(deleted.name, created.name);
        await expectSdkError(
          sdk().kms().keys().getByName({ projectId, name: created.name }),
          404,
          `Key with name "${created.name}" not found for project with ID "${projectId}"`,
          `getByName after delete of ${created.name}`,
        );
      }
      const aes = keyOf('aes256');
      await expectSdkError(
        sdk().kms().encryption().encrypt({ keyId: aes.id, plaintext: b64(Buffer.from('gone')) }),
        404,
        `Key with ID "${aes.id}" not found`,
        'encrypt with a deleted key',
      );
    });
  });
}
