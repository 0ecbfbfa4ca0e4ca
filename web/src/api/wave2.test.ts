import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, tokenStore } from './client';
import { executionAPI } from './executions';
import { workflowAPI, DEFAULT_RETRY } from './workflows';
import { deadLetterAPI } from './redrives';
import { slaAPI } from './sla';
import { bridgeAPI } from './bridge';
import { statsAPI } from './stats';
import { replayAPI } from './replays';
import { meAPI } from './me';
import { LiveFeed, type SocketLike } from './feed';

interface Call {
  url: string;
  method: string;
  body: unknown;
}
let calls: Call[] = [];

beforeEach(() => {
  calls = [];
  tokenStore.set('t0k');
  vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
    calls.push({ url, method: init?.method ?? 'GET', body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    return Promise.resolve(new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } }));
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('wave-2 API clients follow SHAPES.md', () => {
  it('executions', async () => {
    await executionAPI.list({ workflowId: 'wf', status: 'failed', priority: 3, limit: 20 });
    await executionAPI.get('e/1');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/executions?workflowId=wf&status=failed&priority=3&limit=20',
      'GET /api/v1/executions/e%2F1',
    ]);
  });
  it('workflows CRUD', async () => {
    await workflowAPI.get('w1');
    await workflowAPI.update('w1', { name: 'n', steps: [{ type: 'log', message: 'm' }], retry: DEFAULT_RETRY });
    await workflowAPI.delete('w1');
    expect(calls.map((c) => c.method)).toEqual(['GET', 'PUT', 'DELETE']);
    expect(calls[1]?.body).toMatchObject({ retry: { maxAttempts: 5, multiplier: 2 } });
  });
  it('dead letters and redrives', async () => {
    await deadLetterAPI.list({ webhookId: 'h' });
    await deadLetterAPI.redrive('d1');
    await deadLetterAPI.bulk({ ids: ['a', 'b'], dryRun: true });
    await deadLetterAPI.bulk({ filter: { workflowId: 'w' } });
    await deadLetterAPI.jobs();
    await deadLetterAPI.job('j');
    await deadLetterAPI.cancel('j');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/dead-letters?webhookId=h',
      'POST /api/v1/dead-letters/d1/redrive',
      'POST /api/v1/dead-letters/redrive',
      'POST /api/v1/dead-letters/redrive',
      'GET /api/v1/redrives',
      'GET /api/v1/redrives/j',
      'DELETE /api/v1/redrives/j',
    ]);
    expect(calls[2]?.body).toEqual({ ids: ['a', 'b'], dryRun: true });
  });
  it('sla, breakers, bridge, stats, replay jobs, me', async () => {
    await slaAPI.get();
    await slaAPI.putTargets({ targetsMs: { critical: 1000, high: 5000, normal: 30000, low: 300000 } });
    await slaAPI.breakers();
    await bridgeAPI.get();
    await statsAPI.timeseries({ range: '1h', webhookId: 'h' });
    await replayAPI.list({ limit: 5 });
    await meAPI.get();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/sla',
      'PUT /api/v1/settings/sla',
      'GET /api/v1/breakers',
      'GET /api/v1/bridge',
      'GET /api/v1/stats/timeseries?range=1h&webhookId=h',
      'GET /api/v1/replays?limit=5',
      'GET /api/v1/me',
    ]);
  });
});

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    this.closed = true;
  }
  send(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

describe('LiveFeed', () => {
  it('reports unavailable when the server has no ticket endpoint (404) and stops', async () => {
    const opened: string[] = [];
    const feed = new LiveFeed({
      ticket: () => Promise.reject(new ApiError(404, { title: 'Not Found' })),
      open: (u) => {
        opened.push(u);
        return new FakeSocket(u);
      },
    });
    await feed.start();
    expect(feed.getState()).toBe('unavailable');
    expect(opened).toEqual([]);
  });

  it('goes live, delivers messages once, and resumes with since after a reconnect', async () => {
    const sockets: FakeSocket[] = [];
    const scheduled: (() => void)[] = [];
    let n = 0;
    const feed = new LiveFeed({
      origin: 'http://example.test',
      ticket: () => Promise.resolve({ ticket: `t${++n}` }),
      open: (u) => {
        const s = new FakeSocket(u);
        sockets.push(s);
        return s;
      },
      schedule: (fn) => scheduled.push(fn),
    });
    const got: number[] = [];
    const states: string[] = [];
    feed.subscribe((m) => got.push(m.seq));
    feed.onState((s) => states.push(s));
    await feed.start();
    const first = sockets[0]!;
    expect(first.url).toBe('ws://example.test/api/v1/ws?ticket=t1');
    first.onopen?.({});
    first.send({ seq: 7, stream: 'HOOKS', event: { id: 'a', type: 'webhook.received' } });
    first.send({ seq: 8, stream: 'HOOKS', event: { id: 'b', type: 'webhook.received' } });
    first.onclose?.({});
    expect(feed.getState()).toBe('reconnecting');
    scheduled.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    const second = sockets[1]!;
    expect(second.url).toBe('ws://example.test/api/v1/ws?ticket=t2&since=8');
    second.onopen?.({});
    // The server resends from `since`: the duplicate is dropped.
    second.send({ seq: 8, stream: 'HOOKS', event: { id: 'b', type: 'webhook.received' } });
    second.send({ seq: 9, stream: 'HOOKS', event: { id: 'c', type: 'webhook.received' } });
    expect(got).toEqual([7, 8, 9]);
    expect(states).toEqual(['live', 'reconnecting', 'live']);
    feed.stop();
    expect(second.closed).toBe(true);
  });
});
