// What kind of event a delivery is, the way senders name it, and a one-line payload preview.
import type { HeaderMap } from '../api/events';
import type { JsonValue } from '../api/client';

function header(headers: HeaderMap | undefined | null, name: string): string | undefined {
  if (!headers) return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === want) {
      const s = Array.isArray(v) ? v[0] : v;
      return s && s !== '[REDACTED]' ? s : undefined;
    }
  }
  return undefined;
}

function field(body: JsonValue | undefined, key: string): string | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const v = body[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/**
 * The sender's event type: GitHub `X-GitHub-Event` (with the body's `action`), Shopify
 * `X-Shopify-Topic`, Stripe, Standard Webhooks and most others `type` in the body, Slack's
 * `event.type` inside `event_callback`, else `event` / `event_type` in the body.
 */
export function eventTypeOf(headers: HeaderMap | undefined | null, body: JsonValue | undefined): string | undefined {
  const gh = header(headers, 'X-GitHub-Event');
  if (gh) {
    const action = field(body, 'action');
    return action ? `${gh}.${action}` : gh;
  }
  const shopify = header(headers, 'X-Shopify-Topic');
  if (shopify) return shopify;
  const t = field(body, 'type');
  if (t === 'event_callback' && body && typeof body === 'object' && !Array.isArray(body)) {
    const inner = field(body.event as JsonValue, 'type');
    if (inner) return inner;
  }
  return t ?? field(body, 'event') ?? field(body, 'event_type') ?? header(headers, 'X-Event-Type');
}

/** Compact one-line JSON (or text), cut at `max` characters. */
export function payloadPreview(body: JsonValue | undefined, max = 90): string {
  if (body === undefined || body === null || body === '') return '';
  const s = typeof body === 'string' ? body.replace(/\s+/g, ' ') : JSON.stringify(body);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const SKIP_HEADERS = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'user-agent', 'x-forwarded-for', 'x-real-ip']);

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A cURL command that re-sends the delivery (redacted headers are left out). */
export function curlCommand(url: string, method: string, headers: HeaderMap | undefined | null, body: JsonValue | undefined): string {
  const parts = [`curl -X ${method || 'POST'} ${sh(url)}`];
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (SKIP_HEADERS.has(k.toLowerCase())) continue;
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one === '[REDACTED]') continue;
      parts.push(`-H ${sh(`${k}: ${one}`)}`);
    }
  }
  if (body !== undefined && body !== null && body !== '') {
    parts.push(`--data-raw ${sh(typeof body === 'string' ? body : JSON.stringify(body))}`);
  }
  return parts.join(' \\\n  ');
}
