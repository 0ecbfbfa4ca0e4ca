// Package filter compiles and evaluates webhook filter rule sets (SPEC §4,
// step 1 of the pipeline). It is pure: no I/O, no logging, no clock.
//
// A [RuleSet] is compiled once per configuration change with [Compile] into a
// [Program], which is safe for concurrent use and is evaluated per event with
// [Program.Match] (the pipeline's decision, with the first failing rule as the
// reason) or [Program.Explain] (the result of every rule and group, for
// POST /api/v1/webhooks/{id}/filters/test).
//
// # Fields
//
// A rule's field selects zero or more values from the [Input]:
//
//   - an RFC 9535 JSONPath into the body, starting with "$": "$.data.status",
//     "$.items[*].sku", "$.items[?@.price > 20]". The descendant segment ".."
//     is refused at compile time, which keeps evaluation linear in the size of
//     the selected part of the body. So are the regex functions match() and
//     search(), which the jsonpath package compiles for every node tested
//     (their pattern may even come from the payload): regex_match does the
//     same with a pattern compiled once. length(), count() and value() are
//     allowed.
//   - "headers.<Name>": every value of the header, matched case-insensitively.
//   - "query.<name>": every value of the query parameter (case-sensitive).
//   - "metadata.<key>": a metadata value; a dotted key walks into nested maps
//     ("metadata.userAgent.browser"), an exact key containing dots wins.
//
// # Semantics (invariants)
//
//   - A field that yields several values matches when any value matches; the
//     not_* operators (not_equals, not_contains, not_in) match when none does,
//     so they also match when the field yields nothing. exists matches when the
//     field yields at least one value (JSON null included), not_exists when it
//     yields none.
//   - Numbers compare numerically (float64, json.Number and Go integers alike);
//     strings compare as strings. A type mismatch is "no match", never an
//     error: the string "1" never equals the number 1. Header and query values
//     are always strings.
//   - equals on arrays and objects is deep equality. contains is substring
//     containment on strings and element containment on arrays.
//   - Disabled rules are skipped; a group whose rules are all disabled is
//     skipped; a rule set with nothing enabled matches everything.
//   - Top-level rules and groups are combined with the top-level logic ("and"
//     by default); each group's rules with the group's own logic. Groups nest
//     one level only.
//   - Limits: at most [MaxRules] rules in total, regex patterns of at most
//     [MaxPatternLen] bytes (RE2 syntax, compiled once).
//
// Evaluation never re-parses paths or patterns; [Program.Match] does not
// allocate for paths made of names, indexes and wildcards over decoded JSON,
// and allocates once for the failing rule when the event is filtered out.
package filter
