import { newKey } from '../lib/ruleset';

export interface HeaderRow {
  rowKey: string;
  name: string;
  value: string;
}

export const headerRow = (name = '', value = ''): HeaderRow => ({ rowKey: newKey(), name, value });

export function rowsToHeaders(rows: HeaderRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.name.trim()) out[r.name.trim()] = r.value;
  return out;
}

export function headersToRows(h: Record<string, string>): HeaderRow[] {
  return Object.entries(h).map(([n, v]) => headerRow(n, v));
}

/** Editable list of request headers. */
export function HeadersEditor({ rows, onChange }: { rows: HeaderRow[]; onChange: (rows: HeaderRow[]) => void }) {
  const update = (i: number, patch: Partial<HeaderRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Headers</legend>
      {rows.map((r, i) => (
        <div className="inline-row" key={r.rowKey}>
          <label>
            <span className="sr-only">Header {i + 1} </span>Name
            <input className="mono" value={r.name} onChange={(e) => update(i, { name: e.target.value })} />
          </label>
          <label>
            <span className="sr-only">Header {i + 1} </span>Value
            <input className="mono" value={r.value} onChange={(e) => update(i, { value: e.target.value })} />
          </label>
          <button type="button" className="small" aria-label={`Remove header ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="small" onClick={() => onChange([...rows, headerRow()])}>
        Add header
      </button>
    </fieldset>
  );
}
