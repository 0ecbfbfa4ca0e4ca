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
  /** The server treats an absent `enabled` as true; the dashboard always sends it. */
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

/** GET/PUT …/filters answer the rule set (groups may be omitted when empty) and when it was saved. */
export interface SavedRuleSet {
  logic: FilterLogic;
  rules: FilterRule[];
  groups?: FilterGroup[];
  webhookId?: string;
  /** null when nothing was saved yet. */
  updatedAt?: string | null;
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
  /** Index of the rule in the top-level rules, or in its group's rules. */
  index: number;
  /** Index of the rule's group; -1 for a top-level rule. */
  groupIndex: number;
  /** The rule as evaluated. */
  rule: FilterRule;
  /** For a disabled rule (skipped), the result it would have had. */
  matched: boolean;
  /** A disabled rule, which took no part in the decision. */
  skipped?: boolean;
  /** Values the field resolved to. */
  values?: JsonValue[] | null;
  error?: string;
}

export interface GroupResult {
  index: number;
  logic: FilterLogic;
  matched: boolean;
  skipped?: boolean;
}

export interface FilterEvaluation {
  /** Absent when evaluated against a given payload. */
  eventId?: string;
  /** The whole rule set passed. */
  matched: boolean;
  /** Why it did not (the failing rule), as webhook.filtered would say. */
  reason?: string;
  rules: RuleResult[];
  groups?: GroupResult[] | null;
}

export interface FilterTestResponse {
  results: FilterEvaluation[];
  /** The rule set evaluated, and whether it was the saved one or the request's. */
  ruleSet?: RuleSet;
  ruleSetSource?: 'saved' | 'request';
  total?: number;
  /** How many results passed. */
  matched?: number;
}

/** "rules[0]" or "groups[1].rules[2]". */
export const rulePath = (r: Pick<RuleResult, 'index' | 'groupIndex'>): string =>
  r.groupIndex < 0 ? `rules[${r.index}]` : `groups[${r.groupIndex}].rules[${r.index}]`;

const path = (webhookId: string) => `/api/v1/webhooks/${seg(webhookId)}/filters`;

export const filterAPI = {
  /** A webhook without filters answers an empty rule set {logic:"and",rules:[],groups:[]}. */
  get: (webhookId: string) => api.get<SavedRuleSet>(path(webhookId)),
  put: (webhookId: string, ruleSet: RuleSet) => api.put<SavedRuleSet>(path(webhookId), ruleSet),
  test: (webhookId: string, req: FilterTestRequest) => api.post<FilterTestResponse>(`${path(webhookId)}/test`, req),
};
