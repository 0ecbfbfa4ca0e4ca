import { useId } from 'react';
import { FILTER_OPERATORS, UNARY_OPERATORS, type FilterOperator } from '../../api/filters';
import type { BuilderRule, ValueKind } from '../../lib/ruleset';

const KINDS: [ValueKind, string][] = [
  ['string', 'text'],
  ['number', 'number'],
  ['boolean', 'true/false'],
  ['null', 'null'],
  ['json', 'JSON'],
];

/** Applies an operator change, keeping the value kind sensible for it. */
export function withOperator(rule: BuilderRule, operator: FilterOperator): BuilderRule {
  const next = { ...rule, operator };
  if (UNARY_OPERATORS.has(operator)) return { ...next, valueKind: 'absent', valueText: '' };
  if (next.valueKind === 'absent') next.valueKind = 'string';
  if ((operator === 'in' || operator === 'not_in') && next.valueKind !== 'json') {
    next.valueKind = 'json';
    next.valueText = next.valueText ? JSON.stringify([next.valueText]) : '[]';
  }
  return next;
}

interface Props {
  rule: BuilderRule;
  /** Accessible prefix, e.g. "Rule 1" or "Group 2 rule 1". */
  name: string;
  onChange: (r: BuilderRule) => void;
  onRemove: () => void;
  result?: boolean | undefined;
}

export function RuleRow({ rule, name, onChange, onRemove, result }: Props) {
  const id = useId();
  const unary = UNARY_OPERATORS.has(rule.operator);
  return (
    <div className={`rule-row${rule.enabled ? '' : ' disabled-rule'}`} role="group" aria-label={name}>
      <label htmlFor={`${id}-field`}>
        <span className="sr-only">{name} </span>Field
      </label>
      <input
        id={`${id}-field`}
        className="mono"
        value={rule.field}
        placeholder="$.data.status or headers.X-Event"
        onChange={(e) => onChange({ ...rule, field: e.target.value })}
      />
      <label htmlFor={`${id}-op`}>
        <span className="sr-only">{name} </span>Operator
      </label>
      <select id={`${id}-op`} value={rule.operator} onChange={(e) => onChange(withOperator(rule, e.target.value as FilterOperator))}>
        {FILTER_OPERATORS.map((op) => (
          <option key={op} value={op}>
            {op}
          </option>
        ))}
      </select>
      {!unary && (
        <>
          <label htmlFor={`${id}-value`}>
            <span className="sr-only">{name} </span>Value
          </label>
          <input
            id={`${id}-value`}
            className="mono"
            value={rule.valueText}
            disabled={rule.valueKind === 'null'}
            onChange={(e) => onChange({ ...rule, valueText: e.target.value })}
          />
          <label htmlFor={`${id}-kind`}>
            <span className="sr-only">{name} </span>Value type
          </label>
          <select id={`${id}-kind`} value={rule.valueKind} onChange={(e) => onChange({ ...rule, valueKind: e.target.value as ValueKind })}>
            {KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={rule.enabled} onChange={(e) => onChange({ ...rule, enabled: e.target.checked })} />
        <span className="sr-only">{name} </span>Enabled
      </label>
      <button type="button" className="small" aria-label={`Remove ${name.toLowerCase()}`} onClick={onRemove}>
        Remove
      </button>
      {result !== undefined && <span className={`badge ${result ? 'badge-processed' : 'badge-failed'}`}>{result ? 'match' : 'no match'}</span>}
    </div>
  );
}
