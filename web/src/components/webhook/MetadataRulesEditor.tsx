import type { MetadataSource } from '../../api/webhooks';
import type { MetadataRow } from '../../lib/webhookForm';
import { newKey } from '../../lib/ruleset';

const SOURCES: MetadataSource[] = ['header', 'query', 'body', 'static'];
const FROM_LABEL: Record<Exclude<MetadataSource, 'static'>, string> = {
  header: 'Header name',
  query: 'Query parameter',
  body: 'JSON path',
};

export function MetadataRulesEditor({ rows, onChange }: { rows: MetadataRow[]; onChange: (rows: MetadataRow[]) => void }) {
  const update = (i: number, patch: Partial<MetadataRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Metadata rules</legend>
      <p className="hint">Custom metadata fields, added to every event and the workflow trigger context.</p>
      {rows.map((r, i) => (
        <div className="inline-row" key={r.rowKey}>
          <label>
            <span className="sr-only">Metadata rule {i + 1} </span>Key
            <input value={r.key} onChange={(e) => update(i, { key: e.target.value })} />
          </label>
          <label>
            <span className="sr-only">Metadata rule {i + 1} </span>Source
            <select value={r.source} onChange={(e) => update(i, { source: e.target.value as MetadataSource })}>
              {SOURCES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          {r.source === 'static' ? (
            <label>
              <span className="sr-only">Metadata rule {i + 1} </span>Value
              <input value={r.value ?? ''} onChange={(e) => update(i, { value: e.target.value })} />
            </label>
          ) : (
            <label>
              <span className="sr-only">Metadata rule {i + 1} </span>
              {FROM_LABEL[r.source]}
              <input
                value={r.from ?? ''}
                placeholder={r.source === 'body' ? '$.data.customer.id' : ''}
                onChange={(e) => update(i, { from: e.target.value })}
              />
            </label>
          )}
          <button type="button" className="small" aria-label={`Remove metadata rule ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="small" onClick={() => onChange([...rows, { rowKey: newKey(), key: '', source: 'header', from: '' }])}>
        Add metadata rule
      </button>
    </fieldset>
  );
}
