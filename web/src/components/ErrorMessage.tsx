import { ApiError, describeError } from '../api/client';

/** Renders an error (ApiError problem details included) in an alert region. */
export function ErrorMessage({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  const errors = error instanceof ApiError ? error.errors : [];
  const head = error instanceof ApiError ? error.message : describeError(error);
  return (
    <div role="alert" className="error-box">
      {prefix ? `${prefix}: ` : ''}
      {head}
      {errors.length > 0 && (
        <ul>
          {errors.map((e, i) => (
            <li key={i}>
              {(e.instancePath ?? e.field) ? <code>{e.instancePath ?? e.field}</code> : null} {e.message}
              {e.keyword ? ` (${e.keyword})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
