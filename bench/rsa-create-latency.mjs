// Load script: how long RSA-4096 key creation takes, and whether it holds up other requests.
// Creates COUNT RSA_4096 keys one after another while a second loop keeps calling GET /api/status,
// and compares status latency during creation with a baseline taken before. Loopback only, bounded.
// Usage: KMS_URL=http://127.0.0.1:8080 KMS_ADMIN_TOKEN=... node rsa-create-latency.mjs [count]
const url = process.env.KMS_URL;
const token = process.env.KMS_ADMIN_TOKEN;
const count = Number(process.argv[2] ?? 10);
if (!url || !token) {
  console.error("set KMS_URL and KMS_ADMIN_TOKEN");
  process.exit(2);
}

const headers = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
const post = async (path, body) => {
  const res = await fetch(url + path, { method: "POST", headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
};
const timed = async (fn) => { const t = performance.now(); await fn(); return performance.now() - t; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function statusLoop(samples, stop) {
  while (!stop.done && samples.length < 100_000) {
    samples.push(await timed(async () => { const r = await fetch(url + "/api/status"); await r.text(); }));
  }
}

const { project } = await post("/api/v1/projects", { projectName: `bench-${Date.now()}` });

const baseline = [];
await statusLoop(baseline, { get done() { return baseline.length >= 200; } });

const during = [];
const stop = { done: false };
const loop = statusLoop(during, stop);
const creates = [];
for (let i = 0; i < count; i++) {
  creates.push(await timed(() => post("/api/v1/kms/keys", {
    projectId: project.id, name: `rsa-${i}`, keyUsage: "sign-verify", algorithm: "RSA_4096" })));
}
stop.done = true;
await loop;

console.log(`RSA_4096 create, ${count} keys: p50 ${fmt(pct(creates, 0.5))}, max ${fmt(Math.max(...creates))}`);
console.log(`GET /api/status before: p50 ${fmt(pct(baseline, 0.5))}, p99 ${fmt(pct(baseline, 0.99))} (${baseline.length} calls)`);
console.log(`GET /api/status during: p50 ${fmt(pct(during, 0.5))}, p99 ${fmt(pct(during, 0.99))}, max ${fmt(Math.max(...during))} (${during.length} calls)`);
console.log(`status p99 during / before: ${(pct(during, 0.99) / pct(baseline, 0.99)).toFixed(1)}x; slowest status call vs p50 create: ${(Math.max(...during) / pct(creates, 0.5)).toFixed(2)}`);
