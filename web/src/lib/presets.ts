// Sender presets for "New webhook": scheme, headers, dedup and an example payload for the test console.
import type { SignatureScheme } from '../api/webhooks';
import type { WebhookFormModel } from './webhookForm';

export interface SenderPreset {
  id: string;
  label: string;
  scheme: SignatureScheme;
  /** Header naming each delivery uniquely (deduplication). */
  dedupHeader: string;
  /** Headers the test console starts with. */
  headers: Record<string, string>;
  example: unknown;
}

export const SENDER_PRESETS: SenderPreset[] = [
  {
    id: 'stripe',
    label: 'Stripe',
    scheme: 'stripe',
    dedupHeader: '',
    headers: { 'Content-Type': 'application/json' },
    example: { id: 'evt_1Nx', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1', amount_paid: 2000, currency: 'usd' } } },
  },
  {
    id: 'github',
    label: 'GitHub',
    scheme: 'github',
    dedupHeader: 'X-GitHub-Delivery',
    headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'pull_request', 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' },
    example: { action: 'opened', number: 1, pull_request: { title: 'Add feature' }, repository: { full_name: 'octo/hello' } },
  },
  {
    id: 'shopify',
    label: 'Shopify',
    scheme: 'shopify',
    dedupHeader: 'X-Shopify-Webhook-Id',
    headers: { 'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' },
    example: { id: 820982911946154500, email: 'jon@example.com', total_price: '254.98', currency: 'USD' },
  },
  {
    id: 'slack',
    label: 'Slack',
    scheme: 'slack',
    dedupHeader: '',
    headers: { 'Content-Type': 'application/json' },
    example: { type: 'event_callback', event_id: 'Ev08MFMKH6', event: { type: 'app_mention', text: '<@U0LAN0Z89> hi', channel: 'C0LAN2Q65' } },
  },
  {
    id: 'standard-webhooks',
    label: 'Standard Webhooks',
    scheme: 'standard-webhooks',
    dedupHeader: 'webhook-id',
    headers: { 'Content-Type': 'application/json' },
    example: { type: 'user.created', timestamp: '2026-01-01T00:00:00Z', data: { id: 'u_1', email: 'ada@example.com' } },
  },
];

/** The form after choosing a preset (name and path stay as typed). */
export function applyPreset(m: WebhookFormModel, p: SenderPreset): WebhookFormModel {
  return { ...m, authType: 'signature', signatureScheme: p.scheme, dedupHeader: p.dedupHeader, methods: ['POST'] };
}

const exampleKey = (webhookId: string) => `hookstream.example.${webhookId}`;

/** Remembers a preset's example for the test console of a new webhook (this browser only). */
export function rememberExample(webhookId: string, p: SenderPreset): void {
  try {
    localStorage.setItem(exampleKey(webhookId), JSON.stringify({ headers: p.headers, body: p.example }));
  } catch {
    // storage full or disabled: the console starts with its default body
  }
}

export function recallExample(webhookId: string): { headers: Record<string, string>; body: unknown } | null {
  try {
    const raw = localStorage.getItem(exampleKey(webhookId));
    return raw ? (JSON.parse(raw) as { headers: Record<string, string>; body: unknown }) : null;
  } catch {
    return null;
  }
}
