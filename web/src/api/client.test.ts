import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildQuery, createClient, tokenStore, toProblem, type FetchLike } from './client';

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function fakeFetch(respond: (url: string, init?: RequestInit) => Response) {
  const calls: Call[] = [];
  const fn: FetchLike = (url, init) => {
    calls.push({ url, init });
    return Promise.resolve(respond(url, init));
  };
  return { fn, calls };
}

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

const header = (init: RequestInit | undefined, name: string): string | undefined =>
  (init?.headers as Record<string, string> | undefined)?.[name];

describe('buildQuery', () => {
  it('skips empty values, encodes and repeats arrays', () => {
    expect(buildQuery({ a: 1, b: undefined, c: null, d: '', e: 'x y&z', f: true, g: ['p', 'q'] })).toBe('?a=1&e=x+y%26z&f=true&g=p&g=q');
  });
  it('returns an empty string when nothing is left', () => {
    expect(buildQuery({ a: undefined })).toBe('');
    expect(buildQuery(undefined)).toBe('');
  });
  it('keeps false and 0', () => {
    expect(buildQuery({ enabled: false, limit: 0 })).toBe('?enabled=false&limit=0');
  });
});

describe('createClient', () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => sessionStorage.clear());

  it('sends the bearer token from sessionStorage', async () => {
    tokenStore.set('tok-123');
    const f = fakeFetch(() => json(200, { ok: true }));
    const c = createClient({ fetch: f.fn });
    await c.get('/api/v1/webhooks', { query: { limit: 1 } });
    expect(f.calls[0]?.url).toBe('/api/v1/webhooks?limit=1');
    expect(header(f.calls[0]?.init, 'Authorization')).toBe('Bearer tok-123');
    expect(f.calls[0]?.init?.method).toBe('GET');
  });

  it('sends no Authorization header without a token, and a per-request token overrides', async () => {
    const f = fakeFetch(() => json(200, {}));
    const c = createClient({ fetch: f.fn });
    await c.get('/x');
    expect(header(f.calls[0]?.init, 'Authorization')).toBeUndefined();
    await c.get('/x', { token: 'other' });
    expect(header(f.calls[1]?.init, 'Authorization')).toBe('Bearer other');
  });

  it('encodes JSON bodies with a content type', async () => {
    const f = fakeFetch(() => json(201, { id: 'w1' }));
    const c = createClient({ fetch: f.fn, baseUrl: 'http://h' });
    const res = await c.post<{ id: string }>('/api/v1/webhooks', { name: 'a' });
    expect(res.id).toBe('w1');
    expect(f.calls[0]?.url).toBe('http://h/api/v1/webhooks');
    expect(f.calls[0]?.init?.body).toBe('{"name":"a"}');
    expect(header(f.calls[0]?.init, 'Content-Type')).toBe('application/json');
  });

  it('returns undefined for 204', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const c = createClient({ fetch: f.fn });
    await expect(c.del('/api/v1/webhooks/1')).resolves.toBeUndefined();
  });

  it('parses RFC 9457 problem+json into ApiError', async () => {
    const problem = {
      type: 'https://hookstream.dev/problems/validation',
      title: 'Validation failed',
      status: 422,
      detail: 'payload does not match order.created v2',
      errors: [
        { instancePath: '/amount', keyword: 'type', message: 'must be number' },
        { field: 'path', message: 'already taken' },
        'plain string',
      ],
    };
    const f = fakeFetch(() => json(422, problem, 'application/problem+json'));
    const c = createClient({ fetch: f.fn });
    const err = await c.post('/x', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(422);
    expect(e.title).toBe('Validation failed');
    expect(e.detail).toBe('payload does not match order.created v2');
    expect(e.type).toBe(problem.type);
    expect(e.errors).toEqual([
      { instancePath: '/amount', keyword: 'type', message: 'must be number' },
      { field: 'path', message: 'already taken' },
      { message: 'plain string' },
    ]);
    expect(e.message).toBe('Validation failed: payload does not match order.created v2');
  });

  it('falls back to a generic title for non-problem errors', async () => {
    const f = fakeFetch(() => new Response('upstream exploded', { status: 502 }));
    const c = createClient({ fetch: f.fn });
    const e = (await c.get('/x').catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(502);
    expect(e.title).toBe('Server Error');
    expect(e.detail).toBe('upstream exploded');
    expect(e.errors).toEqual([]);
  });

  it('calls onUnauthorized on 401', async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch(() => json(401, { title: 'Unauthorized', status: 401 }, 'application/problem+json'));
    const c = createClient({ fetch: f.fn, onUnauthorized });
    await expect(c.get('/x')).rejects.toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });
});

describe('toProblem', () => {
  it('ignores wrongly typed members', () => {
    expect(toProblem({ title: 3, detail: 'd', errors: 'no' })).toEqual({ detail: 'd' });
    expect(toProblem('nope')).toEqual({});
  });
});
