// Webhooks: /api/v1/webhooks (SPEC §3, §9).
import { api, seg, type JsonValue } from './client';

export type AuthType = 'none' | 'basic' | 'api_key' | 'signature';
export type SignatureScheme = 'hmac' | 'standard-webhooks' | 'github' | 'stripe' | 'shopify' | 'slack';
/** 0 low, 1 normal, 2 high, 3 critical. */
export type Priority = 0 | 1 | 2 | 3;
export type SchemaMode = 'off' | 'warn' | 'enforce';
export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'GET' | 'DELETE';

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export type MetadataSource = 'header' | 'query' | 'body' | 'static';

/** A custom metadata field: `from` names the header / query parameter / JSON path; `value` is for `static`. */
export interface MetadataRule {
  key: string;
  source: MetadataSource;
  from?: string;
  value?: string;
}

/** Generic `hmac` signature scheme settings. */
export interface HmacConfig {
  algorithm: 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  header: string;
  prefix: string;
  /** Template over {id}, {timestamp}, {body}; default "{body}". */
  signedContent: string;
  /** Header carrying the {id} of the signed content, when the template uses it. */
  idHeader?: string;
  /** Empty: no timestamp check. */
  timestampHeader: string;
  toleranceSeconds: number;
}

export interface ErrorRate {
  /** Fraction 0..1 of failed or rejected deliveries in the last hour. */
  lastHour: number;
  last24h: number;
}

export interface Webhook {
  id: string;
  tenantId: string;
  workflowId?: string | null;
  nodeId?: string | null;
  name: string;
  path: string;
  /** Full ingest URL: {publicBaseUrl}/api/v1/webhooks/{path}. */
  url: string;
  authType: AuthType;
  /** Set when authType is "signature". */
  signatureScheme?: SignatureScheme | null;
  enabled: boolean;
  priority: Priority;
  methods: HttpMethod[];
  eventType?: string | null;
  /** Absent or 0/null: the latest version. */
  eventTypeVersion?: number | null;
  schemaMode: SchemaMode;
  rateLimit: RateLimit | null;
  /** 0 or absent = server default (1 MiB). */
  maxBodyBytes: number;
  /** JSON nesting limit for JSON bodies; 0 or absent = 64. */
  maxJsonDepth?: number;
  allowedCidrs: string[];
  dedupHeader?: string | null;
  maskPaths: string[];
  metadataRules: MetadataRule[];
  /** Empty: any content type. */
  contentTypes: string[];
  hmac?: HmacConfig | null;
  apiKeyHeader?: string | null;
  apiKeyQueryParam?: string | null;
  basicUsername?: string | null;
  triggerCount: number;
  errorRate?: ErrorRate | null;
  createdAt: string;
  updatedAt: string;
  lastTriggeredAt: string | null;
}

/**
 * Body of POST /api/v1/webhooks and PUT /api/v1/webhooks/{id}.
 * Write-only credentials (secret, publicKey, basicPassword, apiKey) are left out on PUT to keep
 * the stored ones.
 */
export interface WebhookInput {
  name: string;
  path: string;
  workflowId?: string | null;
  nodeId?: string | null;
  authType: AuthType;
  signatureScheme?: SignatureScheme | null;
  enabled?: boolean;
  priority?: Priority;
  methods?: HttpMethod[];
  eventType?: string | null;
  eventTypeVersion?: number | null;
  schemaMode?: SchemaMode;
  rateLimit?: RateLimit | null;
  maxBodyBytes?: number;
  maxJsonDepth?: number;
  allowedCidrs?: string[];
  dedupHeader?: string | null;
  maskPaths?: string[];
  metadataRules?: MetadataRule[];
  contentTypes?: string[];
  hmac?: HmacConfig | null;
  apiKeyHeader?: string | null;
  apiKeyQueryParam?: string | null;
  basicUsername?: string | null;
  secret?: string;
  publicKey?: string;
  basicPassword?: string;
  apiKey?: string;
}

/** POST /api/v1/webhooks answers the webhook plus, once, its generated or supplied secret. */
export interface CreatedWebhook extends Webhook {
  secret?: string;
}

/** GET /api/v1/webhooks/{id}/secret: the current secret and, during a rotation, the old one. */
export interface WebhookSecret {
  secret: string;
  graceSecret?: string | null;
  /** When the grace secret stops being accepted (RFC 3339). */
  graceUntil?: string | null;
  /** standard-webhooks v1a public key (whpk_…), when set. */
  publicKey?: string | null;
  /** api_key webhooks: the key. */
  apiKey?: string | null;
}

export interface WebhookListParams {
  limit?: number;
  cursor?: string;
  workflowId?: string;
  enabled?: boolean;
  q?: string;
}

export interface WebhookList {
  webhooks: Webhook[];
  total: number;
  nextCursor: string | null;
}

/** Body of POST /api/v1/webhooks/{id}/test. */
export interface TestRequest {
  method: HttpMethod;
  headers: Record<string, string>;
  /** Raw request body, sent byte for byte (signing covers exactly these bytes). */
  body: string;
  /** Sign the request with the webhook's own secret for its scheme. */
  sign: boolean;
  /** Run authentication and validation but append nothing. */
  dryRun: boolean;
}

/** What the in-process ingest answered. */
export interface TestResponse {
  /** Id of the kept test run. */
  id?: string;
  status: number;
  /** Response headers as Go's http.Header: name → values. */
  headers: Record<string, string | string[]>;
  /** The response body: its JSON value when it is JSON, else the text as a JSON string. */
  body: JsonValue;
  durationMs: number;
  /** Absent (or empty) for dry runs and refused requests. */
  eventId?: string | null;
}

/** One of the last 10 test runs kept per webhook (newest first). */
export interface WebhookTest {
  id: string;
  /** When it ran (RFC 3339). */
  at: string;
  request: {
    method: HttpMethod;
    headers?: Record<string, string>;
    /** As sent: a string for a raw body, else a JSON value. */
    body?: JsonValue;
    dryRun?: boolean;
    sign?: boolean;
  };
  status: number;
  headers: Record<string, string | string[]>;
  body: JsonValue;
  durationMs: number;
  eventId?: string;
}

export interface WebhookStats {
  triggerCount: number;
  lastTriggeredAt: string | null;
  errorRate: ErrorRate;
  /** Delivery log rows by status, within retention. */
  counts: Partial<Record<'received' | 'processed' | 'filtered' | 'failed' | 'rejected', number>>;
}

const base = '/api/v1/webhooks';

export const webhookAPI = {
  /** `token` overrides the stored token (the login page checks a token before keeping it). */
  list: (params: WebhookListParams = {}, token?: string) =>
    api.get<WebhookList>(base, token === undefined ? { query: { ...params } } : { query: { ...params }, token }),
  get: (id: string) => api.get<Webhook>(`${base}/${seg(id)}`),
  create: (input: WebhookInput) => api.post<CreatedWebhook>(base, input),
  update: (id: string, input: WebhookInput) => api.put<Webhook>(`${base}/${seg(id)}`, input),
  delete: (id: string) => api.del<void>(`${base}/${seg(id)}`),
  /** graceSeconds: how long the old secret stays valid (default 24 h server side, 0 revokes it now). */
  /** Rotates the signing secret: generated by hookstream, or `secret` when the provider issued it. */
  regenerateSecret: (id: string, graceSeconds: number, secret?: string) =>
    api.post<{ secret: string }>(`${base}/${seg(id)}/regenerate-secret`, secret ? { graceSeconds, secret } : { graceSeconds }),
  getSecret: (id: string) => api.get<WebhookSecret>(`${base}/${seg(id)}/secret`),
  test: (id: string, req: TestRequest) => api.post<TestResponse>(`${base}/${seg(id)}/test`, req),
  listTests: (id: string) => api.get<{ tests: WebhookTest[] }>(`${base}/${seg(id)}/tests`),
  stats: (id: string) => api.get<WebhookStats>(`${base}/${seg(id)}/stats`),
};

/** The PUT body that keeps everything of `w` (credentials untouched), with `patch` applied. */
export function toInput(w: Webhook, patch: Partial<WebhookInput> = {}): WebhookInput {
  return {
    name: w.name,
    path: w.path,
    workflowId: w.workflowId,
    nodeId: w.nodeId,
    authType: w.authType,
    signatureScheme: w.signatureScheme,
    enabled: w.enabled,
    priority: w.priority,
    methods: w.methods,
    eventType: w.eventType,
    eventTypeVersion: w.eventTypeVersion,
    schemaMode: w.schemaMode,
    rateLimit: w.rateLimit,
    maxBodyBytes: w.maxBodyBytes,
    ...(w.maxJsonDepth ? { maxJsonDepth: w.maxJsonDepth } : {}),
    allowedCidrs: w.allowedCidrs,
    dedupHeader: w.dedupHeader,
    maskPaths: w.maskPaths,
    metadataRules: w.metadataRules,
    contentTypes: w.contentTypes,
    hmac: w.hmac,
    apiKeyHeader: w.apiKeyHeader,
    apiKeyQueryParam: w.apiKeyQueryParam,
    basicUsername: w.basicUsername,
    ...patch,
  };
}

export const PRIORITY_LABELS: Record<Priority, string> = { 0: 'Low', 1: 'Normal', 2: 'High', 3: 'Critical' };

export const AUTH_TYPE_LABELS: Record<AuthType, string> = {
  none: 'None',
  basic: 'Basic',
  api_key: 'API key',
  signature: 'Signature',
};

export const SIGNATURE_SCHEMES: SignatureScheme[] = ['hmac', 'standard-webhooks', 'github', 'stripe', 'shopify', 'slack'];
