import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { eventAPI, type EventDetail } from '../../api/events';
import { keys } from '../../lib/queries';
import { formatDate } from '../../lib/format';

/**
 * The original delivery and every replay of it, with who replayed, why, and whether the body was
 * edited (GET /api/v1/events/{id}/replays, which answers the whole chain for any event of it).
 */
export function ReplayChain({ event }: { event: EventDetail }) {
  const inChain = Boolean(event.replayOf) || (event.replays?.length ?? 0) > 0;
  const audit = useQuery({
    queryKey: [...keys.event(event.id), 'replays'],
    queryFn: () => eventAPI.replays(event.id),
    enabled: inChain,
    refetchInterval: 5000,
  });
  if (!inChain) return <p className="muted">Not replayed yet.</p>;
  const rootId = audit.data?.rootEventId || event.replayOf || event.id;
  const entries = [...(audit.data?.replays ?? [])].sort((a, b) => a.replayCount - b.replayCount);
  // Replays the delivery log knows of but the audit does not show yet.
  const pending = (event.replays ?? []).filter((r) => !entries.some((e) => e.newEventId === r.id));
  return (
    <ol className="chain" aria-label="Replay chain">
      <li>
        {rootId === event.id ? <strong>Original (this event)</strong> : <Link to={`/events/${rootId}`}>Original {rootId}</Link>}
      </li>
      {entries.map((r) => (
        <li key={r.id}>
          {r.newEventId === event.id ? (
            <strong>Replay {r.replayCount} (this event)</strong>
          ) : (
            <Link to={`/events/${r.newEventId}`}>
              Replay {r.replayCount}: {r.newEventId}
            </Link>
          )}{' '}
          <span className="muted">
            by {r.actor ? `${r.actor.role} token ${r.actor.tokenId}` : 'unknown'} · {formatDate(r.createdAt)}
            {r.modified ? ' · edited payload' : ' · original payload'}
            {r.originalEventId && r.originalEventId !== r.rootEventId ? ` · from ${r.originalEventId}` : ''}
            {r.reason ? ` · “${r.reason}”` : ''}
          </span>
        </li>
      ))}
      {pending.map((r) => (
        <li key={r.id}>
          <Link to={`/events/${r.id}`}>
            Replay {r.replayCount}: {r.id}
          </Link>{' '}
          <span className="muted">· {formatDate(r.createdAt)} · audit pending</span>
        </li>
      ))}
    </ol>
  );
}
