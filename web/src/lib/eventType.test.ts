import { describe, expect, it } from 'vitest';
import { curlCommand, eventTypeOf, payloadPreview } from './eventType';

describe('eventTypeOf', () => {
  it('reads GitHub, Shopify, Stripe, Standard Webhooks and Slack', () => {
    expect(eventTypeOf({ 'X-Github-Event': ['pull_request'] }, { action: 'opened' })).toBe('pull_request.opened');
    expect(eventTypeOf({ 'X-GitHub-Event': 'push' }, { ref: 'main' })).toBe('push');
    expect(eventTypeOf({ 'X-Shopify-Topic': ['orders/create'] }, {})).toBe('orders/create');
    expect(eventTypeOf({ 'Stripe-Signature': ['t=1,v1=x'] }, { object: 'event', type: 'invoice.paid' })).toBe('invoice.paid');
    expect(eventTypeOf({ 'webhook-id': ['msg_1'] }, { type: 'user.created', data: {} })).toBe('user.created');
    expect(eventTypeOf({}, { type: 'event_callback', event: { type: 'app_mention' } })).toBe('app_mention');
    expect(eventTypeOf({}, { hello: 1 })).toBeUndefined();
  });
});

describe('payloadPreview', () => {
  it('is one compact line, cut with an ellipsis', () => {
    expect(payloadPreview({ a: 1 })).toBe('{"a":1}');
    expect(payloadPreview('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(payloadPreview(null)).toBe('');
  });
});

describe('curlCommand', () => {
  it('re-sends headers and body, leaving out redacted and hop-by-hop headers', () => {
    const c = curlCommand('http://h/api/v1/webhooks/p', 'POST', { 'Content-Type': ['application/json'], Authorization: ['[REDACTED]'], Host: ['h'] }, { q: "it's" });
    expect(c).toBe(`curl -X POST 'http://h/api/v1/webhooks/p' \\\n  -H 'Content-Type: application/json' \\\n  --data-raw '{"q":"it'\\''s"}'`);
  });
});
