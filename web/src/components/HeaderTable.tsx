interface Props {
  caption: string;
  values: Record<string, string | string[]>;
}

/** Name/value table for headers or query parameters (repeated values on separate lines). */
export function HeaderTable({ caption, values }: Props) {
  const entries = Object.entries(values ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p className="muted">None.</p>;
  return (
    <table className="kv">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, v]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="mono">{Array.isArray(v) ? v.join('\n') : v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
