import { describe, expect, it } from 'vitest';
import type { Webhook } from '../api/webhooks';
import { emptyModel, inputFromModel, modelFromWebhook, validateFields, validateModel } from './webhookForm';

const w: Webhook = {
  id: 'w1',
  tenantId: 't1',
  workflowId: 'wf1',
  nodeId: null,
  name: 'Stripe',
  path: 'stripe-live',
  url: 'http://127.0.0.1:8080/api/v1/webhooks/stripe-live',
  authType: 'signature',
  signatureScheme: 'stripe',
  enabled: true,
  priority: 3,
  methods: ['POST'],
  eventType: 'payment.succeeded',
  eventTypeVersion: 2,
  schemaMode: 'warn',
  rateLimit: { perSecond: 50, burst: 100 },
  maxBodyBytes: 2097152,
  allowedCidrs: ['10.0.0.0/8', '192.168.0.0/16'],
  dedupHeader: 'X-Request-Id',
  maskPaths: ['$.customer.email'],
  metadataRules: [
    { key: 'tenant', source: 'header', from: 'X-Tenant' },
    { key: 'env', source: 'static', value: 'prod' },
  ],
  contentTypes: ['application/json'],
  hmac: null,
  apiKeyHeader: null,
  apiKeyQueryParam: null,
  basicUsername: null,
  triggerCount: 10,
  errorRate: { lastHour: 0, last24h: 0.01 },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  lastTriggeredAt: null,
};

describe('webhook form model', () => {
  it('round-trips a webhook into the PUT body without credentials', () => {
    const input = inputFromModel(modelFromWebhook(w));
    expect(input).toEqual({
      name: 'Stripe',
      path: 'stripe-live',
      enabled: true,
      workflowId: 'wf1',
      nodeId: null,
      priority: 3,
      methods: ['POST'],
      authType: 'signature',
      signatureScheme: 'stripe',
      eventType: 'payment.succeeded',
      eventTypeVersion: 2,
      schemaMode: 'warn',
      rateLimit: { perSecond: 50, burst: 100 },
      maxBodyBytes: 2097152,
      allowedCidrs: ['10.0.0.0/8', '192.168.0.0/16'],
      dedupHeader: 'X-Request-Id',
      maskPaths: ['$.customer.email'],
      metadataRules: [
        { key: 'tenant', source: 'header', from: 'X-Tenant' },
        { key: 'env', source: 'static', value: 'prod' },
      ],
      contentTypes: ['application/json'],
      hmac: null,
      apiKeyHeader: null,
      apiKeyQueryParam: null,
      basicUsername: null,
    });
    expect(validateModel(modelFromWebhook(w), false)).toEqual([]);
  });

  it('sends a typed secret and the hmac settings for the generic scheme', () => {
    const m = { ...emptyModel(), name: 'n', path: 'p', secret: 's3cret' };
    const input = inputFromModel(m);
    expect(input.secret).toBe('s3cret');
    expect(input.hmac).toMatchObject({ algorithm: 'sha256', header: 'X-Webhook-Signature', signedContent: '{body}' });
  });

  it('validates path, credentials and limits', () => {
    const bad = { ...emptyModel(), name: '', path: 'Bad/Path', authType: 'basic' as const, maxBodyBytes: '9000000' };
    const p = validateModel(bad, true);
    expect(p.join('\n')).toMatch(/Name is required/);
    expect(p.join('\n')).toMatch(/Path must match/);
    expect(p.join('\n')).toMatch(/username/);
    expect(p.join('\n')).toMatch(/Max body bytes/);
  });
});

describe('the default new-webhook form (2.7/7 defect 1)', () => {
  it('is valid and sends no tolerance without a timestamp header', () => {
    const m = { ...emptyModel(), name: 'orders', path: 'orders' };
    expect(validateModel(m, true)).toEqual([]);
    const input = inputFromModel(m);
    expect(input.hmac?.timestampHeader).toBe('');
    expect(input.hmac?.toleranceSeconds).toBe(0);
  });
  it('keeps the tolerance with a timestamp header', () => {
    const m = emptyModel();
    m.hmac = { ...m.hmac, timestampHeader: 'X-Ts', signedContent: '{timestamp}.{body}', toleranceSeconds: 120 };
    expect(inputFromModel(m).hmac?.toleranceSeconds).toBe(120);
  });
  it('names the field of each problem', () => {
    const m = { ...emptyModel(), name: '', path: 'Bad/Path' };
    const fields = validateFields(m, true).map((p) => p.field);
    expect(fields).toContain('name');
    expect(fields).toContain('path');
  });
});
