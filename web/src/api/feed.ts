// Live feed (SHAPES.md "Live feed", SPEC §6): POST /api/v1/ws-ticket → {ticket, expiresAt}, then
// WebSocket /api/v1/ws?ticket=…&since=<seq>. Each message: {seq, stream: "HOOKS"|"EXEC", event}.
//
// The feed reconnects with backoff (1 s doubling to 30 s) and resumes with `since` = the last HOOKS
// sequence seen, dropping anything it already delivered (per stream). A server without the feed
// answers 404 to the ticket: the feed then reports "unavailable" once and stops, and pages poll.
import { ApiError, api } from './client';

export type FeedState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export interface FeedMessage {
  seq: number;
  stream: 'HOOKS' | 'EXEC';
  event: { id: string; type: string; time?: string; webhookid?: string; tenantid?: string; data?: unknown; [k: string]: unknown };
}

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface FeedOptions {
  /** Opens a socket (tests pass a fake); default the browser's WebSocket. */
  open?: (url: string) => SocketLike;
  /** Asks for a ticket; default POST /api/v1/ws-ticket. */
  ticket?: () => Promise<{ ticket: string }>;
  /** Base for ws URLs; default the page's origin. */
  origin?: string;
  schedule?: (fn: () => void, ms: number) => unknown;
}

export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;

export class LiveFeed {
  private state: FeedState = 'connecting';
  private readonly stateListeners = new Set<(s: FeedState) => void>();
  private readonly listeners = new Set<(m: FeedMessage) => void>();
  private readonly lastSeq: Record<string, number> = {};
  private socket: SocketLike | null = null;
  private backoff = BACKOFF_MIN_MS;
  private stopped = false;
  private readonly opts: Required<FeedOptions>;

  constructor(opts: FeedOptions = {}) {
    this.opts = {
      open: opts.open ?? ((url) => new WebSocket(url) as unknown as SocketLike),
      ticket: opts.ticket ?? (() => api.post<{ ticket: string }>('/api/v1/ws-ticket')),
      origin: opts.origin ?? (typeof location !== 'undefined' ? location.origin : 'http://localhost'),
      schedule: opts.schedule ?? ((fn, ms) => setTimeout(fn, ms)),
    };
  }

  getState = (): FeedState => this.state;

  onState(fn: (s: FeedState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  subscribe(fn: (m: FeedMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The ws URL for a ticket, resuming after the last HOOKS sequence seen. */
  url(ticket: string): string {
    const u = new URL('/api/v1/ws', this.opts.origin.replace(/^http/, 'ws'));
    u.searchParams.set('ticket', ticket);
    const since = this.lastSeq.HOOKS;
    if (since !== undefined) u.searchParams.set('since', String(since));
    return u.toString();
  }

  private setState(s: FeedState) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    let ticket: string;
    try {
      ticket = (await this.opts.ticket()).ticket;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) {
        this.setState('unavailable');
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const ws = this.opts.open(this.url(ticket));
    this.socket = ws;
    ws.onopen = () => {
      this.backoff = BACKOFF_MIN_MS;
      this.setState('live');
    };
    ws.onmessage = (ev) => {
      let m: FeedMessage;
      try {
        m = JSON.parse(String(ev.data)) as FeedMessage;
      } catch {
        return;
      }
      const last = this.lastSeq[m.stream];
      if (last !== undefined && m.seq <= last) return; // already delivered before the reconnect
      this.lastSeq[m.stream] = m.seq;
      for (const fn of this.listeners) fn(m);
    };
    ws.onclose = () => {
      if (this.socket === ws) this.socket = null;
      if (!this.stopped) this.retry();
    };
    ws.onerror = () => {};
  }

  private retry() {
    this.setState('reconnecting');
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.opts.schedule(() => void this.start(), wait);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
    this.socket = null;
  }
}
