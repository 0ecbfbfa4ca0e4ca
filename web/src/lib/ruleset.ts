// Conversion between the JSON rule set (filters API) and the visual builder's state.
//
// Invariant: fromBuilder(toBuilder(rs)) deep-equals rs for every valid rule set, including
// groups, disabled rules, rule ids and typed values (numbers stay numbers, arrays stay arrays).
import type { JsonValue } from '../api/client';
import {
  FILTER_OPERATORS,
  UNARY_OPERATORS,
  type FilterGroup,
  type FilterLogic,
  type FilterOperator,
  type FilterRule,
  type RuleSet,
} from '../api/filters';

/** How the builder's value text maps back to JSON. `absent` = the rule has no value member. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'null' | 'json' | 'absent';

export interface BuilderRule {
  /** Local React key; not part of the JSON. */
  key: string;
  id?: string;
  field: string;
  operator: FilterOperator;
  valueKind: ValueKind;
  valueText: string;
  enabled: boolean;
}

export interface BuilderGroup {
  key: string;
  logic: FilterLogic;
  rules: BuilderRule[];
}

export interface BuilderState {
  logic: FilterLogic;
  rules: BuilderRule[];
  groups: BuilderGroup[];
}

let seq = 0;
export const newKey = (): string => `k${++seq}`;

export const emptyRuleSet = (): RuleSet => ({ logic: 'and', rules: [], groups: [] });

export function newRule(): BuilderRule {
  return { key: newKey(), field: '$.', operator: 'equals', valueKind: 'string', valueText: '', enabled: true };
}

export function newGroup(): BuilderGroup {
  return { key: newKey(), logic: 'or', rules: [newRule()] };
}

function kindOf(value: JsonValue | undefined): ValueKind {
  if (value === undefined) return 'absent';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

function textOf(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function ruleToBuilder(rule: FilterRule): BuilderRule {
  const b: BuilderRule = {
    key: newKey(),
    field: rule.field,
    operator: rule.operator,
    valueKind: kindOf(rule.value),
    valueText: textOf(rule.value),
    enabled: rule.enabled,
  };
  if (rule.id !== undefined) b.id = rule.id;
  return b;
}

export function toBuilder(rs: RuleSet): BuilderState {
  return {
    logic: rs.logic,
    rules: rs.rules.map(ruleToBuilder),
    groups: rs.groups.map((g) => ({ key: newKey(), logic: g.logic, rules: g.rules.map(ruleToBuilder) })),
  };
}

/** Parses the value text by kind; throws with a readable message when it does not parse. */
export function parseValue(kind: ValueKind, text: string): JsonValue | undefined {
  switch (kind) {
    case 'absent':
      return undefined;
    case 'string':
      return text;
    case 'null':
      return null;
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new Error(`"${text}" is not true or false`);
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`"${text}" is not a number`);
      return n;
    }
    case 'json':
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        throw new Error(`"${text}" is not valid JSON`);
      }
  }
}

/** Like parseValue but never throws: a value that does not parse is kept as a string. */
function safeValue(kind: ValueKind, text: string): JsonValue | undefined {
  try {
    return parseValue(kind, text);
  } catch {
    return text;
  }
}

export function ruleFromBuilder(b: BuilderRule): FilterRule {
  // Key order matches what the server stores: id, field, operator, value, enabled.
  const rule: FilterRule = b.id !== undefined ? { id: b.id, field: b.field, operator: b.operator, enabled: b.enabled } : { field: b.field, operator: b.operator, enabled: b.enabled };
  const value = safeValue(b.valueKind, b.valueText);
  if (value === undefined) return rule;
  const { enabled, ...head } = rule;
  return { ...head, value, enabled };
}

export function fromBuilder(state: BuilderState): RuleSet {
  return {
    logic: state.logic,
    rules: state.rules.map(ruleFromBuilder),
    groups: state.groups.map((g): FilterGroup => ({ logic: g.logic, rules: g.rules.map(ruleFromBuilder) })),
  };
}

/** Problems the builder should show before saving (empty when the state is savable). */
export function builderProblems(state: BuilderState): string[] {
  const problems: string[] = [];
  const check = (r: BuilderRule, where: string) => {
    if (!r.field.trim()) problems.push(`${where}: field is empty`);
    else if (!/^(\$|headers\.|query\.|metadata\.)/.test(r.field)) {
      problems.push(`${where}: field must be a JSONPath ($…) or headers.<Name>, query.<name>, metadata.<key>`);
    } else if (r.field.includes('..')) problems.push(`${where}: descendant ".." is not allowed`);
    if (!UNARY_OPERATORS.has(r.operator) && r.valueKind === 'absent') problems.push(`${where}: ${r.operator} needs a value`);
    try {
      const v = parseValue(r.valueKind, r.valueText);
      if ((r.operator === 'in' || r.operator === 'not_in') && !Array.isArray(v)) {
        problems.push(`${where}: ${r.operator} needs a JSON array value`);
      }
    } catch (e) {
      problems.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  state.rules.forEach((r, i) => check(r, `Rule ${i + 1}`));
  state.groups.forEach((g, gi) => g.rules.forEach((r, i) => check(r, `Group ${gi + 1} rule ${i + 1}`)));
  return problems;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const OPS: ReadonlySet<string> = new Set(FILTER_OPERATORS);

function parseLogic(v: unknown, where: string): FilterLogic {
  if (v === 'and' || v === 'or') return v;
  throw new Error(`${where}: logic must be "and" or "or"`);
}

function parseRule(v: unknown, where: string): FilterRule {
  if (!isRecord(v)) throw new Error(`${where} must be an object`);
  if (typeof v.field !== 'string') throw new Error(`${where}.field must be a string`);
  if (typeof v.operator !== 'string' || !OPS.has(v.operator)) throw new Error(`${where}.operator is not a known operator`);
  const enabled = v.enabled === undefined ? true : v.enabled;
  if (typeof enabled !== 'boolean') throw new Error(`${where}.enabled must be a boolean`);
  const rule: FilterRule = { field: v.field, operator: v.operator as FilterOperator, enabled };
  if (v.id !== undefined) {
    if (typeof v.id !== 'string') throw new Error(`${where}.id must be a string`);
    rule.id = v.id;
  }
  if (v.value !== undefined) rule.value = v.value as JsonValue;
  return rule;
}

/** Parses and checks the JSON editor's text into a RuleSet; throws Error with a readable message. */
export function parseRuleSet(text: string): RuleSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`Invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return checkRuleSet(doc);
}

/**
 * Brings a rule set as the server stores it (groups omitted when empty, `enabled` absent = true,
 * extra members such as webhookId/updatedAt) to the dashboard's canonical form.
 */
export function normalizeRuleSet(doc: unknown): RuleSet {
  try {
    return checkRuleSet(doc);
  } catch {
    return emptyRuleSet();
  }
}

/** Checks a decoded document is a rule set; throws Error with a readable message. */
export function checkRuleSet(doc: unknown): RuleSet {
  if (!isRecord(doc)) throw new Error('The rule set must be a JSON object');
  const rules = doc.rules ?? [];
  const groups = doc.groups ?? [];
  if (!Array.isArray(rules)) throw new Error('rules must be an array');
  if (!Array.isArray(groups)) throw new Error('groups must be an array');
  return {
    logic: parseLogic(doc.logic ?? 'and', 'rule set'),
    rules: rules.map((r, i) => parseRule(r, `rules[${i}]`)),
    groups: groups.map((g, gi): FilterGroup => {
      if (!isRecord(g)) throw new Error(`groups[${gi}] must be an object`);
      if ('groups' in g) throw new Error(`groups[${gi}]: only one level of nested groups is allowed`);
      const gr = g.rules ?? [];
      if (!Array.isArray(gr)) throw new Error(`groups[${gi}].rules must be an array`);
      return { logic: parseLogic(g.logic ?? 'and', `groups[${gi}]`), rules: gr.map((r, i) => parseRule(r, `groups[${gi}].rules[${i}]`)) };
    }),
  };
}

export const prettyRuleSet = (rs: RuleSet): string => JSON.stringify(rs, null, 2);
