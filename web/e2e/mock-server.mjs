#!/usr/bin/env node
// An in-memory stand-in for `hookstream serve` that speaks the API shapes the dashboard
// assumes (src/api/*.ts). It exists to develop and check the dashboard and e2e/run.mjs
// without the Go server:
//
//   HOOKSTREAM_BIN=e2e/mock-server.mjs npm run e2e
//
// It is not a reference implementation: no ingest, no signatures, no persistence.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv[2] !== 'serve') {
  console.error('usage: mock-server.mjs serve');
  process.exit(2);
}
const dist = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'dist');
const [host, port] = (process.env.HOOKSTREAM_HTTP_ADDR ?? '127.0.0.1:8080').split(':');
const token = process.env.HOOKSTREAM_BOOTSTRAP_TOKEN ?? 'dev';
const tenantId = randomUUID();
const base = `http://${host}:${port}`;
const now = () => new Date().toISOString();

const webhooks = new Map();
const secrets = new Map();
const filters = new Map();
const tests = new Map();
const events = [];
const jobs = new Map();
let retentionDays = 30;
const workflows = [{ id: randomUUID(), name: 'Log it', steps: [{ type: 'log', message: 'hi' }], createdAt: now(), updatedAt: now() }];
const eventTypes = [
  {
    name: 'webhook.received',
    description: 'A webhook delivery was authenticated and appended',
    core: true,
    versions: [
      {
        name: 'webhook.received',
        version: 1,
        description: 'A webhook delivery was authenticated and appended',
        schema: { type: 'object', required: ['method'], properties: { method: { type: 'string' } } },
        examples: [{ method: 'POST', path: '/api/v1/webhooks/x', headers: {}, body: {} }],
        createdAt: now(),
        updatedAt: now(),
      },
    ],
  },
  {
    name: 'github.pull_request',
    description: 'GitHub pull request event',
    core: false,
    versions: [
      {
        tenantId,
        name: 'github.pull_request',
        version: 1,
        description: 'GitHub pull request event',
        schema: { type: 'object', required: ['action'], properties: { action: { type: 'string' } } },
        examples: [{ action: 'opened', number: 1 }],
        createdAt: now(),
        updatedAt: now(),
      },
    ],
  },
];

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}
function problem(res, status, title, detail, errors) {
  res.writeHead(status, { 'Content-Type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) }));
}
async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function publicWebhook(w) {
  return { ...w, url: `${base}/api/v1/webhooks/${w.path}` };
}

function summary(e) {
  const { replays: _r, audit: _a, visibleAt: _v, ...rest } = e;
  return rest;
}

function addEvent(w, { method, headers, body, replayOf = null, replayCount = 0 }) {
  const e = {
    id: randomUUID(),
    webhookId: w.id,
    webhookName: w.name,
    workflowId: w.workflowId ?? null,
    status: 'processed',
    method,
    path: w.path,
    contentType: headers['Content-Type'] ?? 'application/json',
    bodyBytes: JSON.stringify(body).length,
    deliveryId: '',
    duplicateCount: 0,
    replayOf,
    replayCount,
    responseStatus: 202,
    processingTimeMs: 3.2,
    priority: w.priority ?? 1,
    createdAt: now(),
    headers: Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, /^(authorization|cookie)$/i.test(k) ? ['[REDACTED]'] : [v]]),
    ),
    query: {},
    body,
    metadata: { sourceIp: '127.0.0.1', receivedAt: now() },
    filteredReason: '',
    errorMessage: '',
    executionId: '',
    replays: [],
    audit: [],
    visibleAt: Date.now() + 1500, // projection lag
  };
  events.unshift(e);
  return e;
}

function visible() {
  return events.filter((e) => e.visibleAt <= Date.now());
}

function matchRule(rule, body) {
  const key = rule.field.replace(/^\$\./, '');
  const v = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), body);
  switch (rule.operator) {
    case 'equals':
      return { matched: v === rule.value, values: v === undefined ? [] : [v] };
    case 'exists':
      return { matched: v !== undefined, values: v === undefined ? [] : [v] };
    default:
      return { matched: false, values: [] };
  }
}

async function api(req, res, url) {
  if (req.headers.authorization !== `Bearer ${token}`) return problem(res, 401, 'Unauthorized', 'missing or unknown token');
  const p = url.pathname.replace(/^\/api\/v1/, '');
  const m = req.method;
  let r;
  if (p === '/webhooks' && m === 'GET') {
    const list = [...webhooks.values()].map(publicWebhook);
    return send(res, 200, { webhooks: list.slice(0, Number(url.searchParams.get('limit') ?? 50)), total: list.length, nextCursor: null });
  }
  if (p === '/webhooks' && m === 'POST') {
    const b = await readBody(req);
    if ([...webhooks.values()].some((w) => w.path === b.path)) return problem(res, 409, 'Conflict', 'path already in use');
    const { secret: given, basicPassword: _p, apiKey: _k, publicKey: _pk, ...rest } = b;
    const w = {
      methods: ['POST'],
      schemaMode: 'off',
      priority: 1,
      enabled: true,
      allowedCidrs: [],
      maskPaths: [],
      metadataRules: [],
      contentTypes: [],
      rateLimit: null,
      maxBodyBytes: 0,
      ...rest,
      id: randomUUID(),
      tenantId,
      triggerCount: 0,
      errorRate: { lastHour: 0, last24h: 0 },
      createdAt: now(),
      updatedAt: now(),
      lastTriggeredAt: null,
    };
    const secret = given || `whsec_${randomBytes(32).toString('base64')}`;
    webhooks.set(w.id, w);
    secrets.set(w.id, { secret });
    return send(res, 201, { ...publicWebhook(w), secret });
  }
  if ((r = /^\/webhooks\/([^/]+)(?:\/(.+))?$/.exec(p))) {
    const w = webhooks.get(decodeURIComponent(r[1]));
    if (!w) return problem(res, 404, 'Not Found', 'no such webhook');
    const sub = r[2];
    if (!sub && m === 'GET') return send(res, 200, publicWebhook(w));
    if (!sub && m === 'PUT') {
      const { secret: _s, basicPassword: _p, apiKey: _k, publicKey: _pk, ...rest } = await readBody(req);
      Object.assign(w, rest, { updatedAt: now() });
      return send(res, 200, publicWebhook(w));
    }
    if (!sub && m === 'DELETE') {
      webhooks.delete(w.id);
      res.writeHead(204).end();
      return;
    }
    if (sub === 'secret' && m === 'GET') return send(res, 200, { graceSecret: null, graceUntil: null, ...secrets.get(w.id) });
    if (sub === 'regenerate-secret' && m === 'POST') {
      const b = (await readBody(req)) ?? {};
      const old = secrets.get(w.id);
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const grace = b.graceSeconds ?? 86400;
      secrets.set(w.id, grace > 0 ? { secret, graceSecret: old.secret, graceUntil: new Date(Date.now() + grace * 1000).toISOString() } : { secret });
      return send(res, 200, { secret });
    }
    if (sub === 'test' && m === 'POST') {
      const b = await readBody(req);
      const started = Date.now();
      let body;
      try {
        body = b.body ? JSON.parse(b.body) : null;
      } catch {
        return send(res, 200, { id: randomUUID(), status: 400, headers: { 'Content-Type': ['application/problem+json'] }, body: { title: 'Bad Request', status: 400 }, durationMs: 1 });
      }
      if (w.authType === 'signature' && !b.sign) {
        return send(res, 200, { id: randomUUID(), status: 401, headers: { 'Content-Type': ['application/problem+json'] }, body: { title: 'Unauthorized', status: 401 }, durationMs: 1 });
      }
      const headers = { ...b.headers };
      if (b.sign) headers['X-Hub-Signature-256'] = `sha256=${createHash('sha256').update(b.body).digest('hex')}`;
      const e = b.dryRun ? null : addEvent(w, { method: b.method, headers, body });
      w.triggerCount += e ? 1 : 0;
      w.lastTriggeredAt = e ? now() : w.lastTriggeredAt;
      const out = {
        id: randomUUID(),
        status: 202,
        headers: { 'Content-Type': ['application/json'] },
        body: { eventId: e?.id ?? '' },
        durationMs: Date.now() - started + 0.4,
        ...(e ? { eventId: e.id } : {}),
      };
      const list = tests.get(w.id) ?? [];
      list.unshift({ ...out, at: now(), request: b });
      tests.set(w.id, list.slice(0, 10));
      return send(res, 200, out);
    }
    if (sub === 'tests' && m === 'GET') return send(res, 200, { tests: tests.get(w.id) ?? [] });
    if (sub === 'stats' && m === 'GET') return send(res, 200, { triggerCount: w.triggerCount, lastTriggeredAt: w.lastTriggeredAt, errorRate: w.errorRate, counts: {} });
    if (sub === 'filters' && m === 'GET') return send(res, 200, { ...(filters.get(w.id) ?? { logic: 'and', rules: [] }), webhookId: w.id, updatedAt: filters.has(w.id) ? now() : null });
    if (sub === 'filters' && m === 'PUT') {
      const { groups, ...b } = await readBody(req);
      const stored = groups?.length ? { ...b, groups } : b;
      filters.set(w.id, stored);
      return send(res, 200, { ...stored, webhookId: w.id, updatedAt: now() });
    }
    if (sub === 'filters/test' && m === 'POST') {
      const b = await readBody(req);
      const rs = b.ruleSet ?? filters.get(w.id) ?? { logic: 'and', rules: [], groups: [] };
      const targets = b.payload !== undefined ? [{ id: '', body: b.payload }] : visible().filter((e) => e.webhookId === w.id).slice(0, b.lastN ?? 20);
      const results = targets.map((e) => {
        const rules = rs.rules.map((rule, i) => ({ index: i, groupIndex: -1, rule, ...(rule.enabled === false ? { skipped: true } : {}), ...matchRule(rule, e.body) }));
        const active = rules.filter((x) => !x.skipped);
        const matched = rs.logic === 'or' ? active.length === 0 || active.some((x) => x.matched) : active.every((x) => x.matched);
        const failing = active.find((x) => !x.matched);
        return {
          ...(e.id ? { eventId: e.id } : {}),
          matched,
          ...(matched ? {} : { reason: `rule ${failing?.index} (${failing?.rule.field} ${failing?.rule.operator}) did not match` }),
          rules,
          groups: [],
        };
      });
      return send(res, 200, { ruleSet: rs, ruleSetSource: b.ruleSet ? 'request' : 'saved', results, total: results.length, matched: results.filter((r) => r.matched).length });
    }
    return problem(res, 404, 'Not Found', 'no such route');
  }
  if (p === '/workflows' && m === 'GET') return send(res, 200, { workflows, nextCursor: null });
  if (p === '/workflows' && m === 'POST') {
    const b = await readBody(req);
    const wf = { id: randomUUID(), ...b, createdAt: now(), updatedAt: now() };
    workflows.push(wf);
    return send(res, 201, wf);
  }
  if (p === '/event-types' && m === 'GET') {
    return send(res, 200, {
      eventTypes: eventTypes.map((t) => ({ ...t.versions.at(-1), core: t.core, versions: t.versions.length })),
      nextCursor: null,
    });
  }
  if ((r = /^\/event-types\/([^/]+)$/.exec(p)) && m === 'GET') {
    const t = eventTypes.find((x) => x.name === decodeURIComponent(r[1]));
    return t
      ? send(res, 200, { name: t.name, core: t.core, latestVersion: t.versions.length, description: t.description, versions: t.versions.map((v) => ({ ...v, core: t.core })) })
      : problem(res, 404, 'Not Found', 'no such event type');
  }
  if ((r = /^\/event-types\/([^/]+)\/validate$/.exec(p)) && m === 'POST') {
    const b = await readBody(req);
    const t = eventTypes.find((x) => x.name === decodeURIComponent(r[1]));
    if (!t) return problem(res, 404, 'Not Found', 'no such event type');
    const v = t.versions.at(-1);
    const errors = (v.schema.required ?? [])
      .filter((k) => typeof b.payload?.[k] !== 'string')
      .map((k) => ({ instancePath: `/${k}`, keyword: 'type', message: 'must be a string' }));
    return send(res, 200, { valid: errors.length === 0, name: t.name, version: v.version, errors });
  }
  if (p === '/events' && m === 'GET') {
    const q = url.searchParams;
    let list = visible();
    if (q.get('webhookId')) list = list.filter((e) => e.webhookId === q.get('webhookId'));
    if (q.get('status')) list = list.filter((e) => e.status === q.get('status'));
    if (q.get('q')) list = list.filter((e) => JSON.stringify(e.body).toLowerCase().includes(q.get('q').toLowerCase()));
    return send(res, 200, { events: list.slice(0, Number(q.get('limit') ?? 50)).map(summary), nextCursor: null });
  }
  if (p === '/events/export' && m === 'GET') {
    const list = visible();
    if (url.searchParams.get('format') === 'csv') {
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.end(['id,webhookId,status,method,createdAt', ...list.map((e) => [e.id, e.webhookId, e.status, e.method, e.createdAt].join(','))].join('\n') + '\n');
    } else {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      res.end(list.map((e) => JSON.stringify(e)).join('\n') + '\n');
    }
    return;
  }
  if (p === '/events/replay' && m === 'POST') {
    const b = await readBody(req);
    const matched = b.ids ? b.ids.length : visible().length;
    if (b.dryRun) return send(res, 200, { matched });
    const job = { id: randomUUID(), status: 'running', matched, replayed: 0, failed: 0, skipped: 0, position: 0, ratePerSec: b.ratePerSec ?? 10, createdAt: now(), updatedAt: now() };
    jobs.set(job.id, job);
    const tick = setInterval(() => {
      if (job.status !== 'running') return clearInterval(tick);
      if (job.replayed >= job.matched) {
        job.status = 'completed';
        job.finishedAt = now();
        return clearInterval(tick);
      }
      job.replayed += 1;
      job.position += 1;
    }, 300);
    return send(res, 202, { jobId: job.id, matched });
  }
  if ((r = /^\/replays\/([^/]+)$/.exec(p))) {
    const job = jobs.get(decodeURIComponent(r[1]));
    if (!job) return problem(res, 404, 'Not Found', 'no such job');
    if (m === 'DELETE') {
      job.status = 'cancelled';
      res.writeHead(204).end();
      return;
    }
    return send(res, 200, job);
  }
  if ((r = /^\/events\/([^/]+)(?:\/(replay|replays))?$/.exec(p))) {
    const e = events.find((x) => x.id === decodeURIComponent(r[1]) && x.visibleAt <= Date.now());
    if (!e) return problem(res, 404, 'Not Found', 'no such event');
    if (!r[2] && m === 'GET') {
      const { visibleAt: _v, audit: _a, ...rest } = e;
      return send(res, 200, rest);
    }
    if (r[2] === 'replays' && m === 'GET') {
      const root = e.replayOf ? events.find((x) => x.id === e.replayOf) : e;
      return send(res, 200, { rootEventId: root.id, replays: root.audit });
    }
    if (r[2] === 'replay' && m === 'POST') {
      const b = (await readBody(req)) ?? {};
      const root = e.replayOf ? events.find((x) => x.id === e.replayOf) : e;
      if (root.replays.length >= 3) return problem(res, 409, 'Conflict', 'replay limit reached');
      const w = webhooks.get(e.webhookId);
      const n = addEvent(w, { method: e.method, headers: {}, body: b.body ?? e.body, replayOf: root.id, replayCount: root.replays.length + 1 });
      setTimeout(() => {
        root.replays.push({ id: n.id, status: n.status, replayCount: n.replayCount, createdAt: n.createdAt });
        root.audit.push({
          id: randomUUID(),
          rootEventId: root.id,
          originalEventId: e.id,
          newEventId: n.id,
          replayCount: n.replayCount,
          modified: b.body !== undefined,
          reason: b.reason ?? '',
          actor: { tokenId: 'bootstrap', role: 'admin' },
          createdAt: now(),
        });
      }, 1500);
      return send(res, 202, { eventId: n.id, replayCount: n.replayCount, rootEventId: root.id });
    }
  }
  if (p === '/settings/retention' && m === 'GET') return send(res, 200, { retentionDays });
  if (p === '/settings/retention' && m === 'PUT') {
    const b = await readBody(req);
    if (!(b.retentionDays >= 1 && b.retentionDays <= 365)) return problem(res, 422, 'Unprocessable Content', 'retentionDays must be 1..365', [{ field: 'retentionDays', message: 'must be 1..365' }]);
    retentionDays = b.retentionDays;
    return send(res, 200, { retentionDays });
  }
  if (p === '/settings/replays' && m === 'GET') return send(res, 200, { maxReplays: 3, hardCap: 10 });
  if (p === '/tokens' && m === 'GET') return send(res, 200, { tokens: [{ id: 'bootstrap', tenantId, name: 'bootstrap', role: 'admin', createdAt: now() }], nextCursor: null });
  return problem(res, 404, 'Not Found', 'no such route');
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  try {
    if (url.pathname === '/healthz' || url.pathname === '/readyz') return send(res, 200, { status: 'ok' });
    if (url.pathname.startsWith('/api/')) return await api(req, res, url);
    const rel = path.normalize(url.pathname).replace(/^\/+/, '');
    let file = path.join(dist, rel);
    if (!rel || !file.startsWith(dist)) file = path.join(dist, 'index.html');
    let data;
    try {
      data = await readFile(file);
    } catch {
      file = path.join(dist, 'index.html');
      data = await readFile(file);
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(data);
  } catch (e) {
    problem(res, 500, 'Internal Server Error', String(e));
  }
});
server.listen(Number(port), host, () => console.log(`mock hookstream on ${base}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
