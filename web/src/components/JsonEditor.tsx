import { useId, useState } from 'react';

interface Props {
  label: string;
  value: string;
  onChange: (text: string) => void;
  rows?: number;
  /** When false, text that is not JSON is allowed (raw bodies); the hint still says so. */
  requireJson?: boolean;
  /** Lets an empty editor pass validation. */
  allowEmpty?: boolean;
  readOnly?: boolean;
  id?: string;
}

/** Returns the JSON parse error of `text`, or null when it parses (or is empty and allowed). */
export function jsonError(text: string, allowEmpty = false): string | null {
  if (allowEmpty && text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A textarea JSON editor with live validation and a Format button. */
export function JsonEditor({ label, value, onChange, rows = 12, requireJson = true, allowEmpty = false, readOnly = false, id }: Props) {
  const autoId = useId();
  const inputId = id ?? `json-${autoId}`;
  const hintId = `${inputId}-hint`;
  const [formatError, setFormatError] = useState<string | null>(null);
  const error = jsonError(value, allowEmpty);

  const format = () => {
    try {
      onChange(JSON.stringify(JSON.parse(value), null, 2));
      setFormatError(null);
    } catch (e) {
      setFormatError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div className="json-editor">
      <div className="json-editor-head">
        <label htmlFor={inputId}>{label}</label>
        {!readOnly && (
          <button type="button" className="small" onClick={format} aria-label={`Format ${label}`}>
            Format
          </button>
        )}
      </div>
      <textarea
        id={inputId}
        className={`mono${error && requireJson ? ' invalid' : ''}`}
        value={value}
        rows={rows}
        spellCheck={false}
        readOnly={readOnly}
        aria-invalid={Boolean(error && requireJson)}
        aria-describedby={hintId}
        onChange={(e) => onChange(e.target.value)}
      />
      <div id={hintId} className={error && requireJson ? 'hint error-text' : 'hint'}>
        {error ? (requireJson ? `Invalid JSON: ${error}` : 'Not JSON: sent as raw text') : 'Valid JSON'}
        {formatError && !error ? ` (${formatError})` : ''}
      </div>
    </div>
  );
}
