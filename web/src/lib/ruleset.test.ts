import { describe, expect, it } from 'vitest';
import type { RuleSet } from '../api/filters';
import { builderProblems, fromBuilder, newRule, normalizeRuleSet, parseRuleSet, prettyRuleSet, toBuilder } from './ruleset';

const full: RuleSet = {
  logic: 'and',
  rules: [
    { id: 'r1', field: '$.data.status', operator: 'equals', value: 'paid', enabled: true },
    { field: '$.amount', operator: 'greater_than', value: 20.5, enabled: true },
    { field: 'headers.X-Event', operator: 'in', value: ['push', 'pull_request'], enabled: false },
    { field: '$.data.deleted', operator: 'not_exists', enabled: true },
    { field: '$.flag', operator: 'equals', value: false, enabled: true },
    { field: '$.nothing', operator: 'equals', value: null, enabled: false },
    { field: '$.obj', operator: 'equals', value: { a: [1, { b: 'c' }] }, enabled: true },
    { field: '$.zero', operator: 'equals', value: 0, enabled: true },
    { field: '$.numstr', operator: 'equals', value: '42', enabled: true },
  ],
  groups: [
    {
      logic: 'or',
      rules: [
        { id: 'g1', field: 'metadata.country', operator: 'equals', value: 'DE', enabled: true },
        { field: '$.items[*].sku', operator: 'starts_with', value: 'SKU-', enabled: false },
        { field: 'query.debug', operator: 'exists', enabled: true },
      ],
    },
    { logic: 'and', rules: [] },
  ],
};

describe('rule set round trip', () => {
  it('JSON → builder → JSON is identical, including groups and disabled rules', () => {
    const back = fromBuilder(toBuilder(full));
    expect(back).toEqual(full);
    expect(JSON.stringify(back)).toBe(JSON.stringify(full));
  });

  it('survives the JSON text editor too', () => {
    const text = prettyRuleSet(full);
    expect(fromBuilder(toBuilder(parseRuleSet(text)))).toEqual(full);
    expect(prettyRuleSet(fromBuilder(toBuilder(parseRuleSet(text))))).toBe(text);
  });

  it('keeps value types: numbers stay numbers, numeric strings stay strings', () => {
    const b = toBuilder(full);
    expect(b.rules[1]).toMatchObject({ valueKind: 'number', valueText: '20.5' });
    expect(b.rules[8]).toMatchObject({ valueKind: 'string', valueText: '42' });
    expect(b.rules[3]).toMatchObject({ valueKind: 'absent' });
    expect(b.rules[2]).toMatchObject({ valueKind: 'json', enabled: false });
  });

  it('a rule built visually becomes the JSON rule', () => {
    const state = toBuilder({ logic: 'and', rules: [], groups: [] });
    const rule = { ...newRule(), field: '$.action', operator: 'equals' as const, valueText: 'opened' };
    expect(fromBuilder({ ...state, rules: [rule] })).toEqual({
      logic: 'and',
      rules: [{ field: '$.action', operator: 'equals', value: 'opened', enabled: true }],
      groups: [],
    });
  });

  it('round-trips an empty rule set', () => {
    const empty: RuleSet = { logic: 'or', rules: [], groups: [] };
    expect(fromBuilder(toBuilder(empty))).toEqual(empty);
  });
});

describe('parseRuleSet', () => {
  it('fills defaults for missing groups and enabled', () => {
    expect(parseRuleSet('{"logic":"or","rules":[{"field":"$.a","operator":"exists"}]}')).toEqual({
      logic: 'or',
      rules: [{ field: '$.a', operator: 'exists', enabled: true }],
      groups: [],
    });
  });

  it.each([
    ['not json', /Invalid JSON/],
    ['[]', /must be a JSON object/],
    ['{"logic":"xor"}', /logic must be/],
    ['{"rules":[{"field":"$.a","operator":"like"}]}', /rules\[0\]\.operator/],
    ['{"groups":[{"rules":[],"groups":[]}]}', /one level/],
    ['{"rules":[{"field":1,"operator":"equals"}]}', /rules\[0\]\.field/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRuleSet(text)).toThrow(message);
  });
});

describe('builderProblems', () => {
  it('flags bad fields, descendant paths and non-array in values', () => {
    const state = toBuilder({
      logic: 'and',
      rules: [
        { field: 'body.x', operator: 'equals', value: 'a', enabled: true },
        { field: '$..x', operator: 'equals', value: 'a', enabled: true },
        { field: '$.x', operator: 'in', value: 'a', enabled: true },
      ],
      groups: [],
    });
    const p = builderProblems(state);
    expect(p).toHaveLength(3);
    expect(builderProblems(toBuilder(full))).toEqual([]);
  });

  it('flags a number that does not parse', () => {
    const state = toBuilder({ logic: 'and', rules: [], groups: [] });
    state.rules.push({ ...newRule(), field: '$.n', valueKind: 'number', valueText: 'abc' });
    expect(builderProblems(state)[0]).toMatch(/not a number/);
  });
});

describe('normalizeRuleSet', () => {
  it('accepts the server form: groups omitted, enabled absent, extra members', () => {
    expect(
      normalizeRuleSet({ logic: 'and', rules: [{ field: '$.a', operator: 'equals', value: 1 }], webhookId: 'w', updatedAt: null }),
    ).toEqual({ logic: 'and', rules: [{ field: '$.a', operator: 'equals', value: 1, enabled: true }], groups: [] });
  });
  it('falls back to an empty rule set for garbage', () => {
    expect(normalizeRuleSet(null)).toEqual({ logic: 'and', rules: [], groups: [] });
  });
});
