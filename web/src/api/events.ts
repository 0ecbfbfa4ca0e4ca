// Events (delivery log), single replay and batch replay: /api/v1/events (SPEC §7).
import { api, seg, type JsonValue, type QueryParams } from './client';

export type EventStatus = 'received' | 'processed' | 'filtered' | 'failed' | 'rejected';
export const EVENT_STATUSES: EventStatus[] = ['received', 'processed', 'filtered', 'failed', 'rejected'];

/** Header values as stored: one string, or several for a repeated header. Redacted ones read "[REDACTED]". */
export type HeaderMap = Record<string, string | string[]>;

/**
 * A row of GET /api/v1/events (the list carries the detail fields too).
 * String fields the server has no value for may be "" or null or absent; the UI treats all as empty.
 */
export interface EventSummary {
  id: string;
  webhookId: string;
  /** Webhook name at read time, when the server joins it in. */
  webhookName?: string | null;
  workflowId?: string | null;
  status: EventStatus;
  method: string;
  path?: string | null;
  contentType?: string | null;
  bodyBytes?: number | null;
  deliveryId?: string | null;
  duplicateCount: number;
  /** Root (original delivery) of a replay. */
  replayOf?: string | null;
  replayCount: number;
  /** HTTP status ingest answered; 0 or null when unknown. */
  responseStatus?: number | null;
  processingTimeMs?: number | null;
  priority?: number;
  /** Set for events sent from the test console. */
  test?: boolean;
  createdAt: string;
  processedAt?: string | null;
  /** The list carries the request too (masked, redacted). */
  headers?: HeaderMap;
  body?: JsonValue;
}

/** A replay of a delivery as the detail lists it. */
export interface ReplayRef {
  /** The replay's own event id. */
  id: string;
  status: EventStatus;
  replayCount: number;
  createdAt: string;
  // SPEC §7 puts replay.requested's actor, reason and modified here too; GET …/replays has them.
  actor?: ReplayActor;
  reason?: string;
  modified?: boolean;
}

export interface ReplayActor {
  tokenId: string;
  role: string;
}

/** One replay.requested, from GET /api/v1/events/{id}/replays. */
export interface ReplayAuditEntry {
  id: string;
  rootEventId: string;
  originalEventId: string;
  /** The event the replay appended. */
  newEventId: string;
  replayCount: number;
  /** The body was edited. */
  modified: boolean;
  reason: string;
  actor: ReplayActor;
  workflowId?: string;
  jobId?: string;
  createdAt: string;
}

/** GET /api/v1/events/{id}/replays: the whole chain of the event's root, for any event of it. */
export interface ReplayAudit {
  rootEventId: string;
  replays: ReplayAuditEntry[];
}

/** GET /api/v1/events/{id}. */
export interface EventDetail extends EventSummary {
  headers: HeaderMap;
  query?: Record<string, string | string[]> | null;
  /** JSON value for JSON bodies, object for forms, string for text; base64 string when bodyEncoding is "base64". */
  body: JsonValue;
  bodyEncoding?: string | null;
  /** Whether the body was cut (rejected events keep 4 KiB). */
  truncated?: boolean;
  metadata?: { [key: string]: JsonValue } | null;
  filteredReason?: string | null;
  errorMessage?: string | null;
  executionId?: string | null;
  /** API path of the execution, when there is one. */
  executionUrl?: string;
  replays?: ReplayRef[];
}

export interface EventFilters {
  webhookId?: string;
  workflowId?: string;
  status?: EventStatus;
  /** RFC 3339. */
  from?: string;
  /** RFC 3339. */
  to?: string;
  /** Case-insensitive substring of the body. */
  q?: string;
  /** JSONPath predicate, e.g. `$.data.status == "paid"`. */
  path?: string;
}

export interface EventListParams extends EventFilters {
  limit?: number;
  cursor?: string;
}

export interface EventList {
  events: EventSummary[];
  nextCursor: string | null;
}

export interface ReplayRequest {
  /** Replacement payload; absent replays the original bytes. */
  body?: JsonValue;
  reason?: string;
  workflowId?: string;
}

export interface ReplayResult {
  eventId: string;
  replayCount: number;
  rootEventId?: string;
}

/** Filter of a batch replay (SPEC §7): a subset of EventFilters. */
export interface BatchReplayFilter {
  webhookId?: string;
  status?: EventStatus;
  from?: string;
  to?: string;
}

export type BatchReplayTarget = { ids: string[] } | { filter: BatchReplayFilter };

export interface BatchReplayOptions {
  dryRun?: boolean;
  ratePerSec?: number;
  reason?: string;
}

/** 202 {jobId, matched}; a dry run answers 200 {matched} without jobId. */
export interface BatchReplayResult {
  jobId?: string;
  matched: number;
}

export type ExportFormat = 'csv' | 'ndjson';

const base = '/api/v1/events';

function filterQuery(f: EventFilters): QueryParams {
  return {
    webhookId: f.webhookId,
    workflowId: f.workflowId,
    status: f.status,
    from: f.from,
    to: f.to,
    q: f.q,
    path: f.path,
  };
}

export const eventAPI = {
  list: (params: EventListParams = {}) =>
    api.get<EventList>(base, { query: { ...filterQuery(params), limit: params.limit, cursor: params.cursor } }),
  get: (id: string) => api.get<EventDetail>(`${base}/${seg(id)}`),
  replay: (id: string, req: ReplayRequest = {}) => api.post<ReplayResult>(`${base}/${seg(id)}/replay`, req),
  replays: (id: string) => api.get<ReplayAudit>(`${base}/${seg(id)}/replays`),
  batchReplay: (target: BatchReplayTarget, opts: BatchReplayOptions = {}) =>
    api.post<BatchReplayResult>(`${base}/replay`, { ...target, ...opts }),
  /** URL of the streamed export (needs the bearer token: use download()). */
  exportUrl: (format: ExportFormat, filters: EventFilters = {}) =>
    api.url(`${base}/export`, { format, ...filterQuery(filters) }),
  /** Fetches the export with the bearer token and saves it through a blob URL. */
  download: async (format: ExportFormat, filters: EventFilters = {}): Promise<string> => {
    const res = await api.raw('GET', `${base}/export`, {
      query: { format, ...filterQuery(filters) },
      headers: { Accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
    });
    const blob = await res.blob();
    const name = `events-${new Date().toISOString().replace(/[:.]/g, '-')}.${format === 'csv' ? 'csv' : 'ndjson'}`;
    const href = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
    return name;
  },
};
