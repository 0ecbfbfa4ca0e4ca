// The webhook edit form's model and its mapping to the API's WebhookInput.
import type {
  AuthType,
  HmacConfig,
  HttpMethod,
  MetadataRule,
  Priority,
  SchemaMode,
  SignatureScheme,
  Webhook,
  WebhookInput,
} from '../api/webhooks';
import { newKey } from './ruleset';

export interface MetadataRow extends MetadataRule {
  rowKey: string;
}

export interface WebhookFormModel {
  name: string;
  path: string;
  enabled: boolean;
  workflowId: string;
  nodeId: string;
  priority: Priority;
  methods: HttpMethod[];
  authType: AuthType;
  signatureScheme: SignatureScheme;
  secret: string;
  publicKey: string;
  basicUsername: string;
  basicPassword: string;
  apiKey: string;
  apiKeyHeader: string;
  apiKeyQueryParam: string;
  hmac: HmacConfig;
  rateLimitOn: boolean;
  perSecond: string;
  burst: string;
  maxBodyBytes: string;
  maxJsonDepth: string;
  contentTypes: string;
  allowedCidrs: string;
  dedupHeader: string;
  eventType: string;
  eventTypeVersion: string;
  schemaMode: SchemaMode;
  metadataRules: MetadataRow[];
  maskPaths: string;
}

export const ALL_METHODS: HttpMethod[] = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'];
export const PATH_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const MAX_BODY_LIMIT = 8 * 1024 * 1024;

export const defaultHmac = (): HmacConfig => ({
  algorithm: 'sha256',
  encoding: 'hex',
  header: 'X-Webhook-Signature',
  prefix: '',
  signedContent: '{body}',
  timestampHeader: '',
  toleranceSeconds: 300,
});

export function emptyModel(): WebhookFormModel {
  return {
    name: '',
    path: '',
    enabled: true,
    workflowId: '',
    nodeId: '',
    priority: 1,
    methods: ['POST'],
    authType: 'signature',
    signatureScheme: 'hmac',
    secret: '',
    publicKey: '',
    basicUsername: '',
    basicPassword: '',
    apiKey: '',
    apiKeyHeader: 'X-API-Key',
    apiKeyQueryParam: '',
    hmac: defaultHmac(),
    rateLimitOn: false,
    perSecond: '10',
    burst: '20',
    maxBodyBytes: '',
    maxJsonDepth: '',
    contentTypes: '',
    allowedCidrs: '',
    dedupHeader: '',
    eventType: '',
    eventTypeVersion: '',
    schemaMode: 'off',
    metadataRules: [],
    maskPaths: '',
  };
}

export function modelFromWebhook(w: Webhook): WebhookFormModel {
  return {
    ...emptyModel(),
    name: w.name ?? '',
    path: w.path,
    enabled: w.enabled,
    workflowId: w.workflowId ?? '',
    nodeId: w.nodeId ?? '',
    priority: w.priority ?? 1,
    methods: w.methods?.length ? w.methods : ['POST'],
    authType: w.authType,
    signatureScheme: w.signatureScheme ?? 'hmac',
    basicUsername: w.basicUsername ?? '',
    apiKeyHeader: w.apiKeyHeader ?? 'X-API-Key',
    apiKeyQueryParam: w.apiKeyQueryParam ?? '',
    hmac: { ...defaultHmac(), ...(w.hmac ?? {}) },
    rateLimitOn: w.rateLimit !== null && w.rateLimit !== undefined,
    perSecond: String(w.rateLimit?.perSecond ?? 10),
    burst: String(w.rateLimit?.burst ?? 20),
    maxBodyBytes: w.maxBodyBytes ? String(w.maxBodyBytes) : '',
    maxJsonDepth: w.maxJsonDepth ? String(w.maxJsonDepth) : '',
    contentTypes: (w.contentTypes ?? []).join(', '),
    allowedCidrs: (w.allowedCidrs ?? []).join('\n'),
    dedupHeader: w.dedupHeader ?? '',
    eventType: w.eventType ?? '',
    eventTypeVersion: w.eventTypeVersion ? String(w.eventTypeVersion) : '',
    schemaMode: w.schemaMode ?? 'off',
    metadataRules: (w.metadataRules ?? []).map((r) => ({ ...r, rowKey: newKey() })),
    maskPaths: (w.maskPaths ?? []).join('\n'),
  };
}

const lines = (s: string): string[] =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

const orNull = (s: string): string | null => (s.trim() ? s.trim() : null);

/** A problem with one form field; `field` is the API's field name (e.g. "hmac.header"). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Returns the problems of each field; empty when the model can be saved. */
export function validateFields(m: WebhookFormModel, creating: boolean): FieldProblem[] {
  const p: FieldProblem[] = [];
  const add = (field: string, message: string) => p.push({ field, message });
  if (!m.name.trim()) add('name', 'Name is required.');
  if (!PATH_PATTERN.test(m.path)) add('path', 'Path must match [a-z0-9][a-z0-9._-]{0,127} (lower case, no slash).');
  if (m.methods.length === 0) add('methods', 'Choose at least one HTTP method.');
  if (m.authType === 'basic') {
    if (!m.basicUsername.trim()) add('basicUsername', 'Basic auth needs a username.');
    if (creating && !m.basicPassword) add('basicPassword', 'Basic auth needs a password.');
  }
  if (m.authType === 'api_key' && creating && !m.apiKey) add('apiKey', 'API key auth needs a key.');
  if (m.authType === 'signature' && m.signatureScheme === 'hmac') {
    if (!m.hmac.header.trim()) add('hmac.header', 'The signature header is required.');
    if (!m.hmac.signedContent.includes('{body}')) add('hmac.signedContent', 'Signed content must contain {body}.');
    if (m.hmac.signedContent.includes('{timestamp}') && !m.hmac.timestampHeader.trim())
      add('hmac.timestampHeader', 'Name the timestamp header: signed content uses {timestamp}.');
  }
  if (m.rateLimitOn) {
    const ps = Number(m.perSecond);
    const b = Number(m.burst);
    if (!(ps > 0)) add('rateLimit.perSecond', 'Rate limit per second must be above 0.');
    if (!(Number.isInteger(b) && b >= 1)) add('rateLimit.burst', 'Burst must be a whole number ≥ 1.');
  }
  if (m.maxBodyBytes) {
    const n = Number(m.maxBodyBytes);
    if (!Number.isInteger(n) || n < 1 || n > MAX_BODY_LIMIT) add('maxBodyBytes', `Max body bytes must be 1–${MAX_BODY_LIMIT}.`);
  }
  if (m.maxJsonDepth && !/^[1-9][0-9]*$/.test(m.maxJsonDepth)) add('maxJsonDepth', 'Max JSON depth must be a positive whole number.');
  if (m.eventTypeVersion && !/^[1-9][0-9]*$/.test(m.eventTypeVersion)) add('eventTypeVersion', 'Event type version must be a positive number.');
  if (m.schemaMode !== 'off' && !m.eventType) add('eventType', 'Schema mode needs an event type.');
  m.metadataRules.forEach((r, i) => {
    if (!r.key.trim()) add(`metadataRules[${i}].key`, `Metadata rule ${i + 1} needs a key.`);
    if (r.source === 'static' ? !r.value : !r.from)
      add(`metadataRules[${i}].${r.source === 'static' ? 'value' : 'from'}`, `Metadata rule ${i + 1} needs a ${r.source === 'static' ? 'value' : 'source name'}.`);
  });
  return p;
}

/** Returns readable problems; empty when the model can be saved. */
export function validateModel(m: WebhookFormModel, creating: boolean): string[] {
  return validateFields(m, creating).map((p) => p.message);
}

/** The HMAC settings the API accepts: a tolerance only applies with a timestamp header. */
export function hmacForInput(h: HmacConfig): HmacConfig {
  const out: HmacConfig = { ...h, timestampHeader: h.timestampHeader.trim() };
  if (!out.timestampHeader) out.toleranceSeconds = 0;
  if (!out.idHeader?.trim()) delete out.idHeader;
  return out;
}

export function inputFromModel(m: WebhookFormModel): WebhookInput {
  const input: WebhookInput = {
    name: m.name.trim(),
    path: m.path.trim(),
    enabled: m.enabled,
    workflowId: orNull(m.workflowId),
    nodeId: orNull(m.nodeId),
    priority: m.priority,
    methods: m.methods,
    authType: m.authType,
    signatureScheme: m.authType === 'signature' ? m.signatureScheme : null,
    eventType: orNull(m.eventType),
    eventTypeVersion: m.eventTypeVersion ? Number(m.eventTypeVersion) : null,
    schemaMode: m.schemaMode,
    rateLimit: m.rateLimitOn ? { perSecond: Number(m.perSecond), burst: Number(m.burst) } : null,
    maxBodyBytes: m.maxBodyBytes ? Number(m.maxBodyBytes) : 0,
    ...(m.maxJsonDepth ? { maxJsonDepth: Number(m.maxJsonDepth) } : {}),
    allowedCidrs: lines(m.allowedCidrs),
    dedupHeader: orNull(m.dedupHeader),
    maskPaths: lines(m.maskPaths),
    metadataRules: m.metadataRules.map(({ key, source, from, value }) =>
      source === 'static' ? { key: key.trim(), source, value: value ?? '' } : { key: key.trim(), source, from: (from ?? '').trim() },
    ),
    contentTypes: lines(m.contentTypes),
    hmac: m.authType === 'signature' && m.signatureScheme === 'hmac' ? hmacForInput(m.hmac) : null,
    apiKeyHeader: m.authType === 'api_key' ? orNull(m.apiKeyHeader) : null,
    apiKeyQueryParam: m.authType === 'api_key' ? orNull(m.apiKeyQueryParam) : null,
    basicUsername: m.authType === 'basic' ? orNull(m.basicUsername) : null,
  };
  // Write-only credentials: sent only when typed (empty keeps the stored one, or generates one on create).
  if (m.authType === 'signature' && m.secret) input.secret = m.secret;
  if (m.authType === 'signature' && m.signatureScheme === 'standard-webhooks' && m.publicKey) input.publicKey = m.publicKey;
  if (m.authType === 'basic' && m.basicPassword) input.basicPassword = m.basicPassword;
  if (m.authType === 'api_key' && m.apiKey) input.apiKey = m.apiKey;
  return input;
}
