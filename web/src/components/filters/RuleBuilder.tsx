import type { FilterLogic } from '../../api/filters';
import { newGroup, newRule, type BuilderRule, type BuilderState } from '../../lib/ruleset';
import { RuleRow } from './RuleRow';

function LogicSelect({ value, onChange, label }: { value: FilterLogic; onChange: (l: FilterLogic) => void; label: string }) {
  return (
    <label className="logic">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value === 'or' ? 'or' : 'and')}>
        <option value="and">all (and)</option>
        <option value="or">any (or)</option>
      </select>
    </label>
  );
}

function RuleList({ rules, prefix, onChange }: { rules: BuilderRule[]; prefix: string; onChange: (rules: BuilderRule[]) => void }) {
  return (
    <div className="rule-list">
      {rules.length === 0 && <p className="muted">No rules.</p>}
      {rules.map((r, i) => (
        <RuleRow
          key={r.key}
          rule={r}
          name={`${prefix}${i + 1}`}
          onChange={(nr) => onChange(rules.map((x, j) => (j === i ? nr : x)))}
          onRemove={() => onChange(rules.filter((_, j) => j !== i))}
        />
      ))}
    </div>
  );
}

/** Visual editor for a rule set: top-level rules plus one level of groups. */
export function RuleBuilder({ state, onChange }: { state: BuilderState; onChange: (s: BuilderState) => void }) {
  return (
    <div className="rule-builder">
      <LogicSelect label="Match" value={state.logic} onChange={(logic) => onChange({ ...state, logic })} />
      <RuleList rules={state.rules} prefix="Rule " onChange={(rules) => onChange({ ...state, rules })} />
      {state.groups.map((g, gi) => (
        <fieldset key={g.key} className="group">
          <legend>Group {gi + 1}</legend>
          <LogicSelect
            label={`Group ${gi + 1} match`}
            value={g.logic}
            onChange={(logic) => onChange({ ...state, groups: state.groups.map((x, j) => (j === gi ? { ...x, logic } : x)) })}
          />
          <RuleList
            rules={g.rules}
            prefix={`Group ${gi + 1} rule `}
            onChange={(rules) => onChange({ ...state, groups: state.groups.map((x, j) => (j === gi ? { ...x, rules } : x)) })}
          />
          <div className="actions">
            <button
              type="button"
              className="small"
              onClick={() => onChange({ ...state, groups: state.groups.map((x, j) => (j === gi ? { ...x, rules: [...x.rules, newRule()] } : x)) })}
            >
              Add rule to group {gi + 1}
            </button>
            <button type="button" className="small" onClick={() => onChange({ ...state, groups: state.groups.filter((_, j) => j !== gi) })}>
              Remove group {gi + 1}
            </button>
          </div>
        </fieldset>
      ))}
      <div className="actions">
        <button type="button" onClick={() => onChange({ ...state, rules: [...state.rules, newRule()] })}>
          Add rule
        </button>
        <button type="button" onClick={() => onChange({ ...state, groups: [...state.groups, newGroup()] })}>
          Add group
        </button>
      </div>
    </div>
  );
}
