import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { webhookAPI, type Webhook, type WebhookSecret } from '../../api/webhooks';
import { keys } from '../../lib/queries';
import { formatDate } from '../../lib/format';
import { CopyButton } from '../CopyButton';
import { ConfirmDialog } from '../ConfirmDialog';
import { ErrorMessage } from '../ErrorMessage';
import { PROVIDER_SCHEMES } from './AuthFields';

/** Show / copy / regenerate (with grace period) the webhook's signing secret. */
export function SecretPanel({ webhook, createdSecret }: { webhook: Webhook; createdSecret?: string | undefined }) {
  const qc = useQueryClient();
  const [secret, setSecret] = useState<WebhookSecret | null>(createdSecret ? { secret: createdSecret } : null);
  const [confirming, setConfirming] = useState(false);
  const [graceHours, setGraceHours] = useState('24');
  const [pasted, setPasted] = useState('');
  // Stripe, Shopify, Slack and GitHub sign with a secret they issue: the user pastes the new one.
  const provider = webhook.signatureScheme ? PROVIDER_SCHEMES.has(webhook.signatureScheme) : false;

  const show = useMutation({
    mutationFn: () => webhookAPI.getSecret(webhook.id),
    onSuccess: setSecret,
  });
  const regenerate = useMutation({
    mutationFn: (graceSeconds: number) => webhookAPI.regenerateSecret(webhook.id, graceSeconds, provider ? pasted.trim() : undefined),
    onSuccess: (res) => {
      setConfirming(false);
      setPasted('');
      setSecret((old) => ({ secret: res.secret, graceSecret: old?.secret ?? null, graceUntil: null }));
      void qc.invalidateQueries({ queryKey: keys.webhookSecret(webhook.id) });
      // Re-read to learn the grace expiry as the server stored it.
      show.mutate();
    },
  });
  const grace = Number(graceHours);
  const graceValid = Number.isFinite(grace) && grace >= 0 && (!provider || pasted.trim() !== '');

  return (
    <section className="card" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Signing secret</h2>
      {createdSecret && <p className="notice">This is the only time the secret is shown without asking the server again. Store it now.</p>}
      {secret ? (
        <div>
          <div className="secret-row">
            <label htmlFor="current-secret">Current secret</label>
            <input id="current-secret" className="mono" readOnly value={secret.secret} />
            <CopyButton text={secret.secret} label="Copy secret">
              Copy
            </CopyButton>
          </div>
          {secret.graceSecret && (
            <div className="secret-row">
              <label htmlFor="grace-secret">Previous secret (grace period)</label>
              <input id="grace-secret" className="mono" readOnly value={secret.graceSecret} />
              <span className="muted">{secret.graceUntil ? `valid until ${formatDate(secret.graceUntil)}` : ''}</span>
            </div>
          )}
          <button type="button" className="small" onClick={() => setSecret(null)}>
            Hide secret
          </button>
        </div>
      ) : (
        <button type="button" onClick={() => show.mutate()} disabled={show.isPending}>
          Show secret
        </button>
      )}{' '}
      <button type="button" onClick={() => setConfirming(true)}>
        {provider ? 'Rotate secret' : 'Regenerate secret'}
      </button>
      <ErrorMessage error={show.error} prefix="Could not read the secret" />
      {confirming && (
        <ConfirmDialog
          title={provider ? 'Rotate to the provider’s new secret?' : 'Regenerate the signing secret?'}
          confirmLabel={provider ? 'Rotate' : 'Regenerate'}
          danger
          busy={regenerate.isPending || !graceValid}
          onCancel={() => setConfirming(false)}
          onConfirm={() => graceValid && regenerate.mutate(Math.round(grace * 3600))}
        >
          {provider ? (
            <>
              <p>
                {webhook.signatureScheme} signs with a secret it issues. Roll the secret at the provider, paste the new one here; deliveries
                signed with the current one keep passing for the grace period.
              </p>
              <label htmlFor="pasted-secret">New secret from {webhook.signatureScheme}</label>
              <input id="pasted-secret" className="mono" type="password" autoComplete="off" value={pasted} onChange={(e) => setPasted(e.target.value)} />
            </>
          ) : (
            <p>Senders must switch to the new secret. The current one keeps working for the grace period.</p>
          )}
          <label htmlFor="grace-hours">Grace period (hours, 0 revokes the old secret now)</label>
          <input id="grace-hours" type="number" min={0} step="any" value={graceHours} onChange={(e) => setGraceHours(e.target.value)} />
          <ErrorMessage error={regenerate.error} />
        </ConfirmDialog>
      )}
    </section>
  );
}
