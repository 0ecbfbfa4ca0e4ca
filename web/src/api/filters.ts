// Filter rule sets: /api/v1/webhooks/{id}/filters (SPEC §4).
import { api, seg, type JsonValue } from './client';

export type FilterLogic = 'and' | 'or';

export type FilterOperator =
  | 'equals'
  | 'not_equals'
  | 'contains'
  | 'not_contains'
  | 'starts_with'
  | 'ends_with'
  | 'regex_match'
  | 'greater_than'
  | 'greater_than_or_equal'
  | 'less_than'
  | 'less_than_or_equal'
  | 'in'
  | 'not_in'
  | 'exists'
  | 'not_exists';

export const FILTER_OPERATORS: FilterOperator[] = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'regex_match',
  'greater_than',
  'greater_than_or_equal',
  'less_than',
  'less_than_or_equal',
  'in',
  'not_in',
  'exists',
  'not_exists',
];

/** Operators that take no value. */
export const UNARY_OPERATORS: ReadonlySet<FilterOperator> = new Set<FilterOperator>(['exists', 'not_exists']);

export interface FilterRule {
  id?: string;
  /** RFC 9535 JSONPath into the body ($.a.b), or headers.<Name>, query.<name>, metadata.<key>. */
  field: string;
  operator: FilterOperator;
  /** Absent for exists / not_exists; an array for in / not_in. */
  value?: JsonValue;
  enabled: boolean;
}

export interface FilterGroup {
  logic: FilterLogic;
  rules: FilterRule[];
}

export interface RuleSet {
  logic: FilterLogic;
  rules: FilterRule[];
  groups: FilterGroup[];
}

export interface FilterTestRequest {
  /** Evaluate this rule set instead of the saved one. */
  ruleSet?: RuleSet;
  /** Evaluate against this body... */
  payload?: JsonValue;
  /** ...or against the webhook's last N received events. */
  lastN?: number;
}

/** Result of one rule for one event. */
export interface RuleResult {
  /** Position of the rule in the set: "rules[0]" or "groups[1].rules[2]". */
  path: string;
  ruleId?: string | null;
  field: string;
  operator: FilterOperator;
  enabled: boolean;
  matched: boolean;
  /** Values the field resolved to. */
  values?: JsonValue[];
  error?: string | null;
}

export interface FilterEvaluation {
  /** null when evaluated against a given payload. */
  eventId: string | null;
  createdAt?: string | null;
  /** The whole rule set passed. */
  matched: boolean;
  /** Why it did not (the failing rule), as webhook.filtered would say. */
  reason: string | null;
  rules: RuleResult[];
  groups?: { path: string; matched: boolean }[];
}

export interface FilterTestResponse {
  results: FilterEvaluation[];
}

const path = (webhookId: string) => `/api/v1/webhooks/${seg(webhookId)}/filters`;

export const filterAPI = {
  /** A webhook without filters answers an empty rule set {logic:"and",rules:[],groups:[]}. */
  get: (webhookId: string) => api.get<RuleSet>(path(webhookId)),
  put: (webhookId: string, ruleSet: RuleSet) => api.put<RuleSet>(path(webhookId), ruleSet),
  test: (webhookId: string, req: FilterTestRequest) => api.post<FilterTestResponse>(`${path(webhookId)}/test`, req),
};
