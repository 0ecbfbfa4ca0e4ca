// Event type registry: /api/v1/event-types (SPEC §5).
import { api, seg, type JsonValue } from './client';

/** One immutable version of an event type. */
export interface EventTypeVersion {
  /** Set for tenant types; absent for core (global) types. */
  tenantId?: string;
  name: string;
  version: number;
  description: string;
  /** JSON Schema (draft 2020-12). */
  schema: JsonValue;
  /** Example payloads; they feed the test console's templates. */
  examples: JsonValue[];
  createdAt: string;
  updatedAt: string;
}

/** A row of GET /api/v1/event-types: the latest version of each type. */
export interface EventTypeSummary extends EventTypeVersion {
  /** Core types are global (seeded by migration); tenant types have false. */
  core: boolean;
  /** How many versions the type has. */
  versions?: number;
}

export interface EventTypeList {
  eventTypes: EventTypeSummary[];
  nextCursor: string | null;
}

/** GET /api/v1/event-types/{name}: every version, oldest first. */
export interface EventTypeDetail {
  name: string;
  core: boolean;
  latestVersion?: number;
  description?: string;
  versions: EventTypeVersion[];
}

export interface CreateEventType {
  name: string;
  description?: string;
  schema: JsonValue;
  examples?: JsonValue[];
}

export interface AddVersion {
  schema: JsonValue;
  description?: string;
  examples?: JsonValue[];
  /** Accept a change that is not backward compatible (otherwise 409). */
  breaking?: boolean;
}

export interface ValidationError {
  instancePath: string;
  keyword: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  /** The type and version validated against. */
  name?: string;
  version?: number;
  errors: ValidationError[];
}

const base = '/api/v1/event-types';

export const eventTypeAPI = {
  list: (params: { limit?: number; cursor?: string } = {}) => api.get<EventTypeList>(base, { query: { ...params } }),
  get: (name: string) => api.get<EventTypeDetail>(`${base}/${seg(name)}`),
  create: (input: CreateEventType) => api.post<EventTypeVersion>(base, input),
  addVersion: (name: string, input: AddVersion) => api.post<EventTypeVersion>(`${base}/${seg(name)}/versions`, input),
  /** Validates against `version`, or the latest when omitted. */
  validate: (name: string, payload: JsonValue, version?: number) =>
    api.post<ValidationResult>(`${base}/${seg(name)}/validate`, version === undefined ? { payload } : { payload, version }),
};
