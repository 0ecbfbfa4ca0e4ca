import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenStore } from './client';
import { webhookAPI } from './webhooks';
import { eventAPI } from './events';
import { eventTypeAPI } from './eventTypes';
import { filterAPI } from './filters';
import { replayAPI } from './replays';
import { settingsAPI } from './settings';

interface Call {
  url: string;
  method: string;
  body: unknown;
  auth: string | undefined;
}

let calls: Call[] = [];
let reply: unknown = {};

beforeEach(() => {
  calls = [];
  reply = {};
  tokenStore.set('t0k');
  vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({
      url,
      method: init?.method ?? 'GET',
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      auth: headers.Authorization,
    });
    return Promise.resolve(new Response(JSON.stringify(reply), { status: 200, headers: { 'Content-Type': 'application/json' } }));
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('resource clients', () => {
  it('webhookAPI builds list queries and sub-resource paths', async () => {
    reply = { webhooks: [], total: 0, nextCursor: null };
    await webhookAPI.list({ limit: 20, enabled: false, q: 'gh', cursor: 'c1' });
    await webhookAPI.regenerateSecret('w/1', 0);
    await webhookAPI.test('w1', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', sign: true, dryRun: false });
    await webhookAPI.listTests('w1');
    await webhookAPI.getSecret('w1');
    await webhookAPI.stats('w1');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/webhooks?limit=20&enabled=false&q=gh&cursor=c1',
      'POST /api/v1/webhooks/w%2F1/regenerate-secret',
      'POST /api/v1/webhooks/w1/test',
      'GET /api/v1/webhooks/w1/tests',
      'GET /api/v1/webhooks/w1/secret',
      'GET /api/v1/webhooks/w1/stats',
    ]);
    expect(calls[1]?.body).toEqual({ graceSeconds: 0 });
    expect(calls[2]?.body).toEqual({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', sign: true, dryRun: false });
    expect(calls.every((c) => c.auth === 'Bearer t0k')).toBe(true);
  });

  it('eventAPI passes every filter and the cursor', async () => {
    reply = { events: [], nextCursor: null };
    await eventAPI.list({
      webhookId: 'w1',
      workflowId: 'wf',
      status: 'failed',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
      q: 'acme',
      path: '$.data.status == "paid"',
      limit: 50,
      cursor: 'abc',
    });
    const u = new URL(calls[0]?.url ?? '', 'http://x');
    expect(u.pathname).toBe('/api/v1/events');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      webhookId: 'w1',
      workflowId: 'wf',
      status: 'failed',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
      q: 'acme',
      path: '$.data.status == "paid"',
      limit: '50',
      cursor: 'abc',
    });
  });

  it('eventAPI replay, batch replay and export URL', async () => {
    await eventAPI.replay('e1', { body: { a: 1 }, reason: 'fix' });
    await eventAPI.batchReplay({ ids: ['e1', 'e2'] }, { dryRun: true, ratePerSec: 5 });
    await eventAPI.batchReplay({ filter: { webhookId: 'w1', status: 'failed' } }, { ratePerSec: 10 });
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/events/e1/replay', body: { body: { a: 1 }, reason: 'fix' } });
    expect(calls[1]).toMatchObject({ url: '/api/v1/events/replay', body: { ids: ['e1', 'e2'], dryRun: true, ratePerSec: 5 } });
    expect(calls[2]?.body).toEqual({ filter: { webhookId: 'w1', status: 'failed' }, ratePerSec: 10 });
    expect(eventAPI.exportUrl('csv', { webhookId: 'w1', q: 'x' })).toBe('/api/v1/events/export?format=csv&webhookId=w1&q=x');
  });

  it('eventTypeAPI validate sends payload and optional version', async () => {
    reply = { valid: false, errors: [{ instancePath: '/a', keyword: 'type', message: 'must be string' }] };
    const res = await eventTypeAPI.validate('order.created', { a: 1 }, 2);
    await eventTypeAPI.validate('order.created', { a: 1 });
    expect(res.errors[0]?.keyword).toBe('type');
    expect(calls[0]).toMatchObject({ url: '/api/v1/event-types/order.created/validate', body: { payload: { a: 1 }, version: 2 } });
    expect(calls[1]?.body).toEqual({ payload: { a: 1 } });
  });

  it('filters, replays and settings use their paths', async () => {
    await filterAPI.test('w1', { lastN: 20 });
    await filterAPI.put('w1', { logic: 'and', rules: [], groups: [] });
    await replayAPI.get('job1');
    await replayAPI.cancel('job1');
    await settingsAPI.putRetention({ retentionDays: 7 });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/v1/webhooks/w1/filters/test',
      'PUT /api/v1/webhooks/w1/filters',
      'GET /api/v1/replays/job1',
      'DELETE /api/v1/replays/job1',
      'PUT /api/v1/settings/retention',
    ]);
    expect(calls[4]?.body).toEqual({ retentionDays: 7 });
  });
});
