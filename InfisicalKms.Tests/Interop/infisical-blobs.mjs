// Infisical's KMS ciphertext layout, made and opened with node:crypto only, outside InfisicalKms (spec §6.3, §6.5):
//   v01: IV(12) || ciphertext || tag(16) || "v01"
//   v02: IV(12) || ciphertext || tag(16) || uint32_be(version) || "v02"
// Reads {"encrypt":[{keyHex, plaintext, version}], "decrypt":[{keyHex, blob}]} (base64 values) as JSON on stdin;
// writes {"encrypted":[blob], "decrypted":[plaintext|null]} as JSON on stdout.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const cipherName = (key) => {
  if (key.length === 32) return 'aes-256-gcm';
  if (key.length === 16) return 'aes-128-gcm';
  throw new Error(`unsupported key length ${key.length}`);
};

function seal(key, plaintext, version) {
  const iv = randomBytes(12);
  const cipher = createCipheriv(cipherName(key), key, iv);
  const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  if (version === 1) return Buffer.concat([body, Buffer.from('v01', 'ascii')]);
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version);
  return Buffer.concat([body, v, Buffer.from('v02', 'ascii')]);
}

function open(key, blob) {
  const suffix = blob.subarray(blob.length - 3).toString('ascii');
  const payload = suffix === 'v02' ? blob.subarray(0, blob.length - 7)
    : suffix === 'v01' ? blob.subarray(0, blob.length - 3)
    : null;
  if (payload === null || payload.length < 28) return null;
  const decipher = createDecipheriv(cipherName(key), key, payload.subarray(0, 12));
  decipher.setAuthTag(payload.subarray(payload.length - 16));
  try {
    return Buffer.concat([decipher.update(payload.subarray(12, payload.length - 16)), decipher.final()]);
  } catch {
    return null;
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const encrypted = (request.encrypt ?? []).map(({ keyHex, plaintext, version }) =>
  seal(Buffer.from(keyHex, 'hex'), Buffer.from(plaintext, 'base64'), version).toString('base64'));
const decrypted = (request.decrypt ?? []).map(({ keyHex, blob }) =>
  open(Buffer.from(keyHex, 'hex'), Buffer.from(blob, 'base64'))?.toString('base64') ?? null);

process.stdout.write(JSON.stringify({ encrypted, decrypted }));
