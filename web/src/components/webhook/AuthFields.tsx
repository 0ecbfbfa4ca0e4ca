import { AUTH_TYPE_LABELS, SIGNATURE_SCHEMES, type AuthType, type HmacConfig, type SignatureScheme } from '../../api/webhooks';
import type { WebhookFormModel } from '../../lib/webhookForm';
import { FieldError, useFieldProps } from '../FieldError';

interface Props {
  m: WebhookFormModel;
  set: <K extends keyof WebhookFormModel>(key: K, value: WebhookFormModel[K]) => void;
  creating: boolean;
}

const SCHEME_HELP: Record<SignatureScheme, string> = {
  hmac: 'Generic HMAC over a configurable signed content.',
  'standard-webhooks': 'webhook-id / webhook-timestamp / webhook-signature (v1 HMAC with a whsec_ secret, v1a Ed25519 with a whpk_ key).',
  github: 'X-Hub-Signature-256: sha256=<hex> over the body. Paste the secret configured in GitHub.',
  stripe: 'Stripe-Signature: t=…,v1=… over {t}.{body}. Paste the endpoint secret from Stripe.',
  shopify: 'X-Shopify-Hmac-SHA256: base64 HMAC of the body. Paste the app secret from Shopify.',
  slack: 'X-Slack-Signature: v0=<hex> over v0:{timestamp}:{body}. Paste the signing secret from Slack.',
};

function HmacFields({ hmac, onChange }: { hmac: HmacConfig; onChange: (h: HmacConfig) => void }) {
  const up = <K extends keyof HmacConfig>(k: K, v: HmacConfig[K]) => onChange({ ...hmac, [k]: v });
  const headerProps = useFieldProps('hmac.header');
  const contentProps = useFieldProps('hmac.signedContent');
  const idProps = useFieldProps('hmac.idHeader');
  const tsProps = useFieldProps('hmac.timestampHeader');
  const tolProps = useFieldProps('hmac.toleranceSeconds');
  const hasTimestamp = hmac.timestampHeader.trim() !== '';
  return (
    <fieldset>
      <legend>HMAC settings</legend>
      <div className="grid">
        <label>
          Algorithm
          <select value={hmac.algorithm} onChange={(e) => up('algorithm', e.target.value === 'sha512' ? 'sha512' : 'sha256')}>
            <option value="sha256">SHA-256</option>
            <option value="sha512">SHA-512</option>
          </select>
        </label>
        <label>
          Encoding
          <select value={hmac.encoding} onChange={(e) => up('encoding', e.target.value === 'base64' ? 'base64' : 'hex')}>
            <option value="hex">hex</option>
            <option value="base64">base64</option>
          </select>
        </label>
        <div className="field">
        <label>
          Signature header
          <input value={hmac.header} {...headerProps} onChange={(e) => up('header', e.target.value)} />
        </label>
        <FieldError field="hmac.header" />
        </div>
        <label>
          Prefix
          <input value={hmac.prefix} placeholder="e.g. sha256=" onChange={(e) => up('prefix', e.target.value)} />
        </label>
        <div className="field">
        <label>
          Signed content
          <input
            value={hmac.signedContent}
            onChange={(e) => up('signedContent', e.target.value)}
            aria-invalid={contentProps['aria-invalid']}
            aria-describedby={contentProps['aria-describedby'] ? `${contentProps['aria-describedby']} signed-content-hint` : 'signed-content-hint'}
          />
        </label>
        <FieldError field="hmac.signedContent" />
        </div>
        <div className="field">
        <label>
          Id header
          <input value={hmac.idHeader ?? ''} placeholder="for {id}" {...idProps} onChange={(e) => up('idHeader', e.target.value)} />
        </label>
        <FieldError field="hmac.idHeader" />
        </div>
        <div className="field">
        <label>
          Timestamp header
          <input value={hmac.timestampHeader} placeholder="none" {...tsProps} onChange={(e) => up('timestampHeader', e.target.value)} />
        </label>
        <FieldError field="hmac.timestampHeader" />
        </div>
        <div className="field">
        <label>
          Tolerance (seconds)
          <input
            type="number"
            min={0}
            value={hasTimestamp ? hmac.toleranceSeconds : ''}
            placeholder="needs a timestamp header"
            disabled={!hasTimestamp}
            {...tolProps}
            onChange={(e) => up('toleranceSeconds', Number(e.target.value) || 0)}
          />
        </label>
        <FieldError field="hmac.toleranceSeconds" />
        </div>
      </div>
      <p id="signed-content-hint" className="hint">
        Template over <code>{'{id}'}</code>, <code>{'{timestamp}'}</code> and <code>{'{body}'}</code>.
      </p>
    </fieldset>
  );
}

/** Schemes whose secret the provider issues: the user pastes it, hookstream never generates it. */
export const PROVIDER_SCHEMES: ReadonlySet<SignatureScheme> = new Set<SignatureScheme>(['github', 'stripe', 'shopify', 'slack']);

function secretHint(scheme: SignatureScheme, creating: boolean): string {
  if (!creating) return 'Leave empty to keep the stored secret; rotate it with a grace period in "Signing secret" above.';
  if (PROVIDER_SCHEMES.has(scheme)) return 'Paste the secret the provider shows for this endpoint. Empty: hookstream generates one that you then enter at the provider.';
  return 'Empty: hookstream generates a secret of 32 random bytes and shows it once after creating.';
}

export function AuthFields({ m, set, creating }: Props) {
  const secretProps = useFieldProps('secret');
  const userProps = useFieldProps('basicUsername');
  const passProps = useFieldProps('basicPassword');
  const keyProps = useFieldProps('apiKey');
  return (
    <fieldset>
      <legend>Authentication</legend>
      <div className="grid">
        <label>
          Auth type
          <select value={m.authType} onChange={(e) => set('authType', e.target.value as AuthType)}>
            {(Object.keys(AUTH_TYPE_LABELS) as AuthType[]).map((t) => (
              <option key={t} value={t}>
                {AUTH_TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </label>
        {m.authType === 'signature' && (
          <label>
            Signature scheme
            <select value={m.signatureScheme} onChange={(e) => set('signatureScheme', e.target.value as SignatureScheme)}>
              {SIGNATURE_SCHEMES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {m.authType === 'none' && <p className="hint">Anyone who knows the URL can post. Consider allowed CIDRs below.</p>}
      {m.authType === 'signature' && (
        <>
          <p className="hint">{SCHEME_HELP[m.signatureScheme]}</p>
          <div className="grid">
            <div className="field">
            <label>
              Secret
              <input
                type="password"
                autoComplete="new-password"
                value={m.secret}
                placeholder={creating ? 'generated when empty' : 'unchanged'}
                {...secretProps}
                onChange={(e) => set('secret', e.target.value)}
              />
            </label>
            <FieldError field="secret" />
            </div>
            {m.signatureScheme === 'standard-webhooks' && (
              <label>
                Public key (v1a)
                <input value={m.publicKey} placeholder="whpk_… (optional)" onChange={(e) => set('publicKey', e.target.value)} />
              </label>
            )}
          </div>
          <p className="hint">{secretHint(m.signatureScheme, creating)}</p>
          {m.signatureScheme === 'hmac' && <HmacFields hmac={m.hmac} onChange={(h) => set('hmac', h)} />}
        </>
      )}
      {m.authType === 'basic' && (
        <div className="grid">
          <div className="field">
          <label>
            Username
            <input value={m.basicUsername} autoComplete="off" {...userProps} onChange={(e) => set('basicUsername', e.target.value)} />
          </label>
          <FieldError field="basicUsername" />
          </div>
          <div className="field">
          <label>
            Password
            <input
              type="password"
              autoComplete="new-password"
              value={m.basicPassword}
              placeholder={creating ? '' : 'unchanged'}
              {...passProps}
              onChange={(e) => set('basicPassword', e.target.value)}
            />
          </label>
          <FieldError field="basicPassword" />
          </div>
        </div>
      )}
      {m.authType === 'api_key' && (
        <div className="grid">
          <div className="field">
          <label>
            API key
            <input
              type="password"
              autoComplete="new-password"
              value={m.apiKey}
              placeholder={creating ? '' : 'unchanged'}
              {...keyProps}
              onChange={(e) => set('apiKey', e.target.value)}
            />
          </label>
          <FieldError field="apiKey" />
          </div>
          <label>
            API key header
            <input value={m.apiKeyHeader} onChange={(e) => set('apiKeyHeader', e.target.value)} />
          </label>
          <label>
            API key query parameter
            <input value={m.apiKeyQueryParam} placeholder="off" onChange={(e) => set('apiKeyQueryParam', e.target.value)} />
          </label>
        </div>
      )}
    </fieldset>
  );
}
