// Typed fetch wrapper shared by every resource client under src/api/.
//
// - Same-origin base URL (the Go binary serves the dashboard and the API).
// - `Authorization: Bearer <token>` from sessionStorage (see tokenStore).
// - Non-2xx answers become ApiError, parsed from RFC 9457 application/problem+json
//   when the server sends it, with a generic title otherwise.

/** Any JSON value. Used for payloads, schemas and other free-form documents. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One entry of a problem's `errors` member (validation details). */
export interface ProblemError {
  /** JSON pointer or field name the error is about, when the server names one. */
  field?: string;
  /** JSON Schema instance path (event-type validation). */
  instancePath?: string;
  /** JSON Schema keyword that failed. */
  keyword?: string;
  message: string;
}

/** RFC 9457 problem details as sent by the server. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  /** Machine-readable error code (hookstream extension). */
  code?: string;
  errors?: ProblemError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly code: string;
  readonly errors: ProblemError[];

  constructor(status: number, problem: Problem) {
    const title = problem.title ?? defaultTitle(status);
    const detail = problem.detail ?? '';
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = problem.type ?? 'about:blank';
    this.code = problem.code ?? '';
    this.errors = problem.errors ?? [];
  }
}

function defaultTitle(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 422:
      return 'Unprocessable Content';
    case 429:
      return 'Too Many Requests';
    case 503:
      return 'Service Unavailable';
    default:
      return status >= 500 ? 'Server Error' : `HTTP ${status}`;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Turns an arbitrary decoded JSON document into a Problem, ignoring wrongly typed members. */
export function toProblem(doc: unknown): Problem {
  if (!isRecord(doc)) return {};
  const problem: Problem = {};
  const type = str(doc.type);
  if (type !== undefined) problem.type = type;
  const title = str(doc.title);
  if (title !== undefined) problem.title = title;
  if (typeof doc.status === 'number') problem.status = doc.status;
  const detail = str(doc.detail) ?? str(doc.message) ?? str(doc.error);
  if (detail !== undefined) problem.detail = detail;
  const code = str(doc.code);
  if (code !== undefined) problem.code = code;
  const instance = str(doc.instance);
  if (instance !== undefined) problem.instance = instance;
  if (Array.isArray(doc.errors)) {
    problem.errors = doc.errors.map((e): ProblemError => {
      if (typeof e === 'string') return { message: e };
      if (!isRecord(e)) return { message: String(e) };
      const out: ProblemError = { message: str(e.message) ?? str(e.detail) ?? JSON.stringify(e) };
      const field = str(e.field) ?? str(e.pointer) ?? str(e.name);
      if (field !== undefined) out.field = field;
      const instancePath = str(e.instancePath);
      if (instancePath !== undefined) out.instancePath = instancePath;
      const keyword = str(e.keyword);
      if (keyword !== undefined) out.keyword = keyword;
      return out;
    });
  }
  return problem;
}

/** Reads a failed response into an ApiError (problem+json, other JSON, or text). */
export async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let problem: Problem = {};
  if (text) {
    try {
      problem = toProblem(JSON.parse(text));
    } catch {
      problem = { detail: text.slice(0, 500) };
    }
  }
  return new ApiError(res.status, problem);
}

export type QueryScalar = string | number | boolean | null | undefined;
export type QueryValue = QueryScalar | readonly (string | number)[];
export type QueryParams = Record<string, QueryValue>;

/**
 * Builds `?a=1&b=x` from params. Undefined, null and empty strings are left out;
 * arrays repeat the key. Returns '' when nothing is left.
 */
export function buildQuery(params: QueryParams | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      for (const item of value) search.append(key, String(item));
    } else {
      search.append(key, String(value));
    }
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

const TOKEN_KEY = 'hookstream.token';

/** Where the dashboard keeps the bearer token: sessionStorage, per browser tab. */
export const tokenStore = {
  get(): string | null {
    try {
      return globalThis.sessionStorage?.getItem(TOKEN_KEY) ?? null;
    } catch {
      return null;
    }
  },
  set(token: string): void {
    globalThis.sessionStorage?.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    globalThis.sessionStorage?.removeItem(TOKEN_KEY);
  },
};

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Prefix for every path; '' means same origin. */
  baseUrl?: string;
  /** Defaults to the global fetch, looked up at call time (so tests can stub it). */
  fetch?: FetchLike;
  /** Defaults to tokenStore.get. */
  getToken?: () => string | null;
  /** Called on every 401 (the dashboard logs out). */
  onUnauthorized?: () => void;
}

export interface RequestOptions {
  query?: QueryParams;
  body?: unknown;
  signal?: AbortSignal;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Override the token for this request (the login page verifies a token before storing it). */
  token?: string;
}

export interface ApiClient {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  get<T>(path: string, opts?: RequestOptions): Promise<T>;
  post<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  put<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  del<T>(path: string, opts?: RequestOptions): Promise<T>;
  /** Authenticated request that returns the raw Response (downloads). Throws ApiError on non-2xx. */
  raw(method: string, path: string, opts?: RequestOptions): Promise<Response>;
  /** Absolute-or-relative URL for a path and query, with the base URL applied. */
  url(path: string, query?: QueryParams): string;
}

export function createClient(options: ClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const getToken = options.getToken ?? (() => tokenStore.get());
  const doFetch: FetchLike = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);

  const url = (path: string, query?: QueryParams) => `${baseUrl}${path}${buildQuery(query)}`;

  async function raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers };
    const token = opts.token ?? getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    if (opts.signal) init.signal = opts.signal;
    const res = await doFetch(url(path, opts.query), init);
    if (!res.ok) {
      if (res.status === 401) options.onUnauthorized?.();
      throw await toApiError(res);
    }
    return res;
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await raw(method, path, opts);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, { title: 'Invalid response', detail: 'The server sent a body that is not JSON.' });
    }
  }

  return {
    request,
    raw,
    url,
    get: (path, opts) => request('GET', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    put: (path, body, opts) => request('PUT', path, { ...opts, body }),
    del: (path, opts) => request('DELETE', path, opts),
  };
}

let unauthorizedHandler: (() => void) | undefined;

/** Registers what to do when any API call answers 401 (App logs out). */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  unauthorizedHandler = fn;
}

/** The dashboard's client: same origin, token from sessionStorage. */
export const api: ApiClient = createClient({ onUnauthorized: () => unauthorizedHandler?.() });

/** Encodes one path segment. */
export const seg = (s: string): string => encodeURIComponent(s);

/** A cursor-paginated list as the API answers it: `{"<resource>": [...], "nextCursor": ...}`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const parts = [err.message];
    for (const e of err.errors) {
      const where = e.instancePath ?? e.field;
      parts.push(where ? `${where}: ${e.message}` : e.message);
    }
    return parts.join('\n');
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
