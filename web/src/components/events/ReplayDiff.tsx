import { useQuery } from '@tanstack/react-query';
import { diffLines } from 'diff';
import type { JsonValue } from '../../api/client';
import { eventAPI, type EventDetail } from '../../api/events';
import { keys } from '../../lib/queries';

const text = (b: JsonValue | undefined) => (typeof b === 'string' ? b : `${JSON.stringify(b ?? null, null, 2)}\n`);

/** For a replay: the line diff of its body against the original delivery's (empty when unchanged). */
export function ReplayDiff({ event }: { event: EventDetail }) {
  const rootId = event.replayOf ?? '';
  const original = useQuery({ queryKey: keys.event(rootId), queryFn: () => eventAPI.get(rootId), enabled: rootId !== '' });
  if (!rootId || !original.data) return null;
  const parts = diffLines(text(original.data.body), text(event.body));
  const changed = parts.some((p) => p.added || p.removed);
  return (
    <section aria-labelledby="diff-heading">
      <h2 id="diff-heading">Changes against the original</h2>
      {changed ? (
        <pre className="diff" aria-label="Body diff">
          {parts.map((p, i) => (
            <span key={i} className={p.added ? 'add' : p.removed ? 'del' : undefined}>
              {p.value
                .replace(/\n$/, '')
                .split('\n')
                .map((line) => `${p.added ? '+ ' : p.removed ? '- ' : '  '}${line}`)
                .join('\n')}
              {'\n'}
            </span>
          ))}
        </pre>
      ) : (
        <p className="muted">The replay carries the original payload unchanged.</p>
      )}
    </section>
  );
}
