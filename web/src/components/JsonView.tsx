import type { JsonValue } from '../api/client';

/** Read-only formatted JSON (strings that hold JSON are formatted too). */
export function JsonView({ value, label }: { value: JsonValue | undefined; label: string }) {
  let text: string;
  if (value === undefined) text = '';
  else if (typeof value === 'string') {
    try {
      text = JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      text = value;
    }
  } else text = JSON.stringify(value, null, 2);
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}
