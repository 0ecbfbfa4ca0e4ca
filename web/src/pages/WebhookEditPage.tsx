import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { PRIORITY_LABELS, webhookAPI, type Priority, type SchemaMode, type Webhook } from '../api/webhooks';
import { keys, useEventTypes, useWorkflows } from '../lib/queries';
import {
  ALL_METHODS,
  emptyModel,
  inputFromModel,
  modelFromWebhook,
  validateFields,
  type FieldProblem,
  type WebhookFormModel,
} from '../lib/webhookForm';
import { ApiError } from '../api/client';
import { FieldError, FieldErrorsProvider, type FieldErrors } from '../components/FieldError';
import { useCan } from '../lib/role';
import { MetricsCharts } from '../components/charts/MetricsCharts';
import { SENDER_PRESETS, applyPreset, rememberExample, type SenderPreset } from '../lib/presets';
import { usePageTitle } from '../lib/title';
import { formatDate, formatPercent } from '../lib/format';
import { AuthFields } from '../components/webhook/AuthFields';
import { MetadataRulesEditor } from '../components/webhook/MetadataRulesEditor';
import { SecretPanel } from '../components/webhook/SecretPanel';
import { WebhookSubnav } from '../components/WebhookSubnav';
import { CopyButton } from '../components/CopyButton';
import { ErrorMessage } from '../components/ErrorMessage';

function createdSecretFrom(state: unknown): string | undefined {
  if (typeof state === 'object' && state !== null && 'createdSecret' in state && typeof state.createdSecret === 'string') {
    return state.createdSecret;
  }
  return undefined;
}

export function WebhookEditPage() {
  const { id } = useParams();
  const creating = id === undefined;
  const webhook = useQuery({ queryKey: keys.webhook(id ?? ''), queryFn: () => webhookAPI.get(id ?? ''), enabled: !creating });
  const location = useLocation();
  usePageTitle(creating ? 'New webhook' : webhook.data ? `Webhook ${webhook.data.name || webhook.data.path}` : 'Webhook');

  if (creating) return <WebhookForm key="new" />;
  if (webhook.isPending) return <p>Loading…</p>;
  if (webhook.error) return <ErrorMessage error={webhook.error} />;
  return <WebhookForm key={webhook.data.id} webhook={webhook.data} createdSecret={createdSecretFrom(location.state)} />;
}

function WebhookForm({ webhook, createdSecret }: { webhook?: Webhook; createdSecret?: string | undefined }) {
  const creating = webhook === undefined;
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [m, setM] = useState<WebhookFormModel>(() => (webhook ? modelFromWebhook(webhook) : emptyModel()));
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const isAdmin = useCan('admin');
  const [preset, setPreset] = useState<SenderPreset | null>(null);
  const [saved, setSaved] = useState(false);
  const workflows = useWorkflows();
  const eventTypes = useEventTypes();
  const set = <K extends keyof WebhookFormModel>(key: K, value: WebhookFormModel[K]) => {
    setSaved(false);
    setM((old) => ({ ...old, [key]: value }));
  };

  const nameProps = useFieldPropsFrom(problems, 'name');
  const pathProps = useFieldPropsFrom(problems, 'path');
  const perSecondProps = useFieldPropsFrom(problems, 'rateLimit.perSecond');
  const burstProps = useFieldPropsFrom(problems, 'rateLimit.burst');
  const maxBodyProps = useFieldPropsFrom(problems, 'maxBodyBytes');
  const depthProps = useFieldPropsFrom(problems, 'maxJsonDepth');
  const versionProps = useFieldPropsFrom(problems, 'eventTypeVersion');
  const save = useMutation({
    mutationFn: async (model: WebhookFormModel) => {
      const input = inputFromModel(model);
      if (webhook) return { webhook: await webhookAPI.update(webhook.id, input), secret: undefined };
      const created = await webhookAPI.create(input);
      return { webhook: created, secret: created.secret };
    },
    onSuccess: ({ webhook: w, secret }) => {
      void qc.invalidateQueries({ queryKey: keys.webhooks });
      qc.setQueryData(keys.webhook(w.id), w);
      if (creating) {
        if (preset) rememberExample(w.id, preset);
        navigate(`/webhooks/${w.id}`, { state: secret ? { createdSecret: secret } : null });
      } else {
        setSaved(true);
        setM((old) => ({ ...old, secret: '', basicPassword: '', apiKey: '', publicKey: '' }));
      }
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = validateFields(m, creating);
    setProblems(p);
    if (p.length === 0) save.mutate(m);
  };

  const fieldErrors: FieldErrors = {};
  const serverErrors = save.error instanceof ApiError ? save.error.errors : [];
  for (const e of serverErrors) if (e.field && !(e.field in fieldErrors)) fieldErrors[e.field] = e.message;
  for (const p of problems) if (!(p.field in fieldErrors)) fieldErrors[p.field] = p.message;
  const errorCount = Object.keys(fieldErrors).length;

  const title = creating ? 'New webhook' : `Webhook ${webhook.name || webhook.path}`;
  return (
    <section>
      <div className="page-head">
        <h1>{title}</h1>
        <Link to="/webhooks">Back to webhooks</Link>
      </div>
      {webhook && <WebhookSubnav id={webhook.id} name={webhook.name || webhook.path} />}
      {webhook && (
        <div className="card summary">
          <div>
            <strong>URL</strong> <code data-testid="webhook-url">{webhook.url}</code>{' '}
            <CopyButton text={webhook.url} label={`Copy URL of ${webhook.name || webhook.path}`}>
              Copy URL
            </CopyButton>
          </div>
          <div className="muted">
            {webhook.triggerCount ?? 0} events · errors {formatPercent(webhook.errorRate?.lastHour)} (1 h), {formatPercent(webhook.errorRate?.last24h)} (24 h) · last
            triggered {formatDate(webhook.lastTriggeredAt)}
          </div>
        </div>
      )}
      {webhook && <MetricsCharts webhookId={webhook.id} />}
      {webhook && webhook.authType === 'signature' && isAdmin && <SecretPanel webhook={webhook} createdSecret={createdSecret} />}

      <FieldErrorsProvider errors={fieldErrors}>
      <form onSubmit={submit} noValidate aria-label={creating ? 'Create webhook' : 'Edit webhook'}>
        {!isAdmin && !creating && <p className="notice">Your token can read this webhook; only an admin token can change it.</p>}
        <fieldset className="plain" disabled={!isAdmin}>
        {creating && (
          <fieldset>
            <legend>Sender preset</legend>
            <div className="grid">
              <label>
                Sender
                <select
                  value={preset?.id ?? ''}
                  onChange={(e) => {
                    const p = SENDER_PRESETS.find((x) => x.id === e.target.value) ?? null;
                    setPreset(p);
                    if (p) setM((old) => applyPreset(old, p));
                  }}
                >
                  <option value="">— custom —</option>
                  {SENDER_PRESETS.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.label}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <p className="hint">
              {preset
                ? `Signature scheme ${preset.scheme}${preset.dedupHeader ? `, deduplicated by ${preset.dedupHeader}` : ''}; the test console starts with an example ${preset.label} payload.`
                : 'Pick a sender to fill in its signature scheme, deduplication header and an example payload.'}
            </p>
          </fieldset>
        )}
        <fieldset>
          <legend>General</legend>
          <div className="grid">
            <div className="field">
            <label>
              Name
              <input value={m.name} required {...nameProps} onChange={(e) => set('name', e.target.value)} />
            </label>
            <FieldError field="name" />
            </div>
            <div className="field">
            <label>
              Path
              <input
                value={m.path}
                required
                pattern="[a-z0-9][a-z0-9._\-]{0,127}"
                aria-describedby={pathProps['aria-describedby'] ? `${pathProps['aria-describedby']} path-hint` : 'path-hint'}
                aria-invalid={pathProps['aria-invalid']}
                onChange={(e) => set('path', e.target.value)}
              />
            </label>
            <FieldError field="path" />
            </div>
            <label>
              Workflow
              <select value={m.workflowId} onChange={(e) => set('workflowId', e.target.value)}>
                <option value="">— none —</option>
                {(workflows.data?.workflows ?? []).map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
                {m.workflowId && !workflows.data?.workflows.some((w) => w.id === m.workflowId) && <option value={m.workflowId}>{m.workflowId}</option>}
              </select>
            </label>
            <label>
              Node ID
              <input value={m.nodeId} placeholder="optional" onChange={(e) => set('nodeId', e.target.value)} />
            </label>
            <label>
              Priority
              <select value={m.priority} onChange={(e) => set('priority', Number(e.target.value) as Priority)}>
                {([0, 1, 2, 3] as Priority[]).map((p) => (
                  <option key={p} value={p}>
                    {PRIORITY_LABELS[p]}
                  </option>
                ))}
              </select>
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={m.enabled} onChange={(e) => set('enabled', e.target.checked)} />
              Enabled
            </label>
          </div>
          <p id="path-hint" className="hint">
            Lower-case letters, digits, ".", "_" and "-". The URL is <code>/api/v1/webhooks/{m.path || '<path>'}</code>; other methods use{' '}
            <code>/hooks/{m.path || '<path>'}</code>.
          </p>
          <fieldset className="inline">
            <legend>HTTP methods</legend>
            {ALL_METHODS.map((method) => (
              <label key={method} className="checkbox">
                <input
                  type="checkbox"
                  checked={m.methods.includes(method)}
                  onChange={(e) => set('methods', e.target.checked ? [...m.methods, method] : m.methods.filter((x) => x !== method))}
                />
                {method}
              </label>
            ))}
            <FieldError field="methods" />
          </fieldset>
        </fieldset>

        <AuthFields m={m} set={set} creating={creating} />

        <fieldset>
          <legend>Limits</legend>
          <div className="grid">
            <label className="checkbox">
              <input type="checkbox" checked={m.rateLimitOn} onChange={(e) => set('rateLimitOn', e.target.checked)} />
              Rate limit
            </label>
            {m.rateLimitOn && (
              <>
                <div className="field">
                <label>
                  Requests per second
                  <input type="number" min={0} step="any" value={m.perSecond} {...perSecondProps} onChange={(e) => set('perSecond', e.target.value)} />
                </label>
                <FieldError field="rateLimit.perSecond" />
                </div>
                <div className="field">
                <label>
                  Burst
                  <input type="number" min={1} value={m.burst} {...burstProps} onChange={(e) => set('burst', e.target.value)} />
                </label>
                <FieldError field="rateLimit.burst" />
                </div>
              </>
            )}
            <div className="field">
            <label>
              Max body bytes
              <input type="number" min={1} max={8388608} placeholder="1048576 (default)" value={m.maxBodyBytes} {...maxBodyProps} onChange={(e) => set('maxBodyBytes', e.target.value)} />
            </label>
            <FieldError field="maxBodyBytes" />
            </div>
            <div className="field">
            <label>
              Max JSON depth
              <input type="number" min={1} placeholder="64 (default)" value={m.maxJsonDepth} {...depthProps} onChange={(e) => set('maxJsonDepth', e.target.value)} />
            </label>
            <FieldError field="maxJsonDepth" />
            </div>
            <label>
              Content types
              <input value={m.contentTypes} placeholder="any (comma separated)" onChange={(e) => set('contentTypes', e.target.value)} />
            </label>
            <label>
              Dedup header
              <input value={m.dedupHeader} placeholder="e.g. X-Request-Id" onChange={(e) => set('dedupHeader', e.target.value)} />
            </label>
            <label>
              Allowed CIDRs
              <textarea rows={3} value={m.allowedCidrs} placeholder="any (one per line)" onChange={(e) => set('allowedCidrs', e.target.value)} />
            </label>
          </div>
        </fieldset>

        <fieldset>
          <legend>Schema</legend>
          <div className="grid">
            <div className="field">
            <label>
              Event type
              <select value={m.eventType} onChange={(e) => set('eventType', e.target.value)}>
                <option value="">— none —</option>
                {(eventTypes.data?.eventTypes ?? []).map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
                {m.eventType && !eventTypes.data?.eventTypes.some((t) => t.name === m.eventType) && <option value={m.eventType}>{m.eventType}</option>}
              </select>
            </label>
            <FieldError field="eventType" />
            </div>
            <div className="field">
            <label>
              Event type version
              <input type="number" min={1} placeholder="latest" value={m.eventTypeVersion} {...versionProps} onChange={(e) => set('eventTypeVersion', e.target.value)} />
            </label>
            <FieldError field="eventTypeVersion" />
            </div>
            <label>
              Schema mode
              <select value={m.schemaMode} onChange={(e) => set('schemaMode', e.target.value as SchemaMode)}>
                <option value="off">off</option>
                <option value="warn">warn (flag invalid payloads)</option>
                <option value="enforce">enforce (refuse with 422)</option>
              </select>
            </label>
          </div>
        </fieldset>

        <MetadataRulesEditor rows={m.metadataRules} onChange={(rows) => set('metadataRules', rows)} />

        <fieldset>
          <legend>Privacy</legend>
          <label>
            Mask paths
            <textarea rows={3} value={m.maskPaths} placeholder="$.customer.email (one JSON path per line)" onChange={(e) => set('maskPaths', e.target.value)} />
          </label>
          <p className="hint">Matching body fields show as "***" in the dashboard, API and exports; workflows and replays get the real payload.</p>
        </fieldset>

        </fieldset>
        {errorCount > 0 && (
          <div role="alert" className="error-box form-summary">
            {errorCount === 1 ? 'One field needs attention' : `${errorCount} fields need attention`}: {Object.values(fieldErrors).join(' ')}
          </div>
        )}
        {save.error && !(save.error instanceof ApiError && serverErrors.some((e) => e.field)) && <ErrorMessage error={save.error} prefix="Could not save" />}
        <div className="actions">
          {isAdmin && (
            <button type="submit" className="primary" disabled={save.isPending}>
              {creating ? 'Create webhook' : 'Save changes'}
            </button>
          )}
          {saved && (
            <span role="status" className="ok-text">
              Saved.
            </span>
          )}
        </div>
      </form>
      </FieldErrorsProvider>
    </section>
  );
}

const errId = (field: string) => `err-${field.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

/** aria props for an input of this form (outside the provider, so read the client problems). */
function useFieldPropsFrom(problems: FieldProblem[], field: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return problems.some((p) => p.field === field) ? { 'aria-invalid': true, 'aria-describedby': errId(field) } : {};
}
