import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { eventAPI, type EventDetail } from '../../api/events';
import { keys } from '../../lib/queries';
import { formatDate } from '../../lib/format';

/** The original delivery and every replay of it, with who replayed, why, and whether the body was edited. */
export function ReplayChain({ event }: { event: EventDetail }) {
  const rootId = event.replayOf ?? event.id;
  const root = useQuery({
    queryKey: keys.event(rootId),
    queryFn: () => eventAPI.get(rootId),
    enabled: event.replayOf !== null && event.replayOf !== undefined && event.replayOf !== '',
  });
  const rootEvent = event.replayOf ? root.data : event;
  const replays = rootEvent?.replays ?? [];
  if (!event.replayOf && replays.length === 0) return <p className="muted">Not replayed yet.</p>;
  return (
    <ol className="chain" aria-label="Replay chain">
      <li>
        {rootId === event.id ? <strong>Original (this event)</strong> : <Link to={`/events/${rootId}`}>Original {rootId}</Link>}
        {rootEvent ? <span className="muted"> · {formatDate(rootEvent.createdAt)}</span> : null}
      </li>
      {replays.map((r, i) => (
        <li key={r.eventId}>
          {r.eventId === event.id ? (
            <strong>Replay {i + 1} (this event)</strong>
          ) : (
            <Link to={`/events/${r.eventId}`}>
              Replay {i + 1}: {r.eventId}
            </Link>
          )}{' '}
          <span className="muted">
            by {r.actor || 'unknown'} · {formatDate(r.createdAt)}
            {r.modified ? ' · edited payload' : ' · original payload'}
            {r.reason ? ` · “${r.reason}”` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
