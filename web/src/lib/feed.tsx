// One live feed for the whole dashboard, started after login (Layout), and hooks for pages.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { LiveFeed, type FeedMessage, type FeedState } from '../api/feed';

const FeedContext = createContext<LiveFeed | null>(null);

export function FeedProvider({ children }: { children: ReactNode }) {
  const [feed] = useState(() => new LiveFeed());
  const qc = useQueryClient();
  useEffect(() => {
    void feed.start();
    // Any delivery or execution event refreshes the lists and details that show it: at once, and
    // again shortly after, because the read models (projections) follow the stream a moment later.
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const refresh = (key: string) => {
      void qc.invalidateQueries({ queryKey: [key] });
      const t = setTimeout(() => {
        timers.delete(t);
        void qc.invalidateQueries({ queryKey: [key] });
      }, 1500);
      timers.add(t);
    };
    const off = feed.subscribe((m) => refresh(m.stream === 'HOOKS' ? 'events' : 'executions'));
    return () => {
      off();
      feed.stop();
      for (const t of timers) clearTimeout(t);
    };
  }, [feed, qc]);
  return <FeedContext.Provider value={feed}>{children}</FeedContext.Provider>;
}

/** The feed's state; "unavailable" outside a provider. */
export function useFeedState(): FeedState {
  const feed = useContext(FeedContext);
  const [state, setState] = useState<FeedState>(() => feed?.getState() ?? 'unavailable');
  useEffect(() => (feed ? feed.onState(setState) : undefined), [feed]);
  return state;
}

/** Polling interval for a page: none while the feed is live, `ms` otherwise. */
export function usePollUnlessLive(ms: number): number | false {
  return useFeedState() === 'live' ? false : ms;
}

export function useFeedMessages(fn: (m: FeedMessage) => void): void {
  const feed = useContext(FeedContext);
  useEffect(() => (feed ? feed.subscribe(fn) : undefined), [feed, fn]);
}

const LABELS: Record<FeedState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unavailable: 'Polling',
};

/** The connection indicator of the top bar. */
export function FeedIndicator() {
  const state = useFeedState();
  return (
    <span className={`feed feed-${state}`} role="status" title={state === 'unavailable' ? 'The live feed is not available: pages refresh every few seconds' : undefined}>
      <span aria-hidden="true" className="feed-dot" /> {LABELS[state]}
    </span>
  );
}
