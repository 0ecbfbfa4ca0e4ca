package projections

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// PostgreSQL cannot hold every string a JSON document or an HTTP request
// can carry: text and jsonb refuse U+0000 (SQLSTATE 22021 / 22P05), and
// jsonb refuses invalid UTF-8 and lone UTF-16 surrogate escapes. The stream
// keeps such events byte for byte; the read models store a form PostgreSQL
// accepts, in which each character it cannot hold becomes U+FFFD, so an
// acknowledged event always reaches the delivery log (SPEC §7) and never
// stalls a projection. Replays read the stream, so they keep the original.

// pgText returns s as PostgreSQL text can hold it.
func pgText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// pgJSON returns raw (valid JSON) as PostgreSQL jsonb can hold it.
// Documents without invalid UTF-8, \u0000 or surrogate escapes pass
// unchanged; the rest are decoded (encoding/json turns invalid bytes and
// lone surrogates into U+FFFD), cleared of U+0000 and encoded again.
func pgJSON(raw []byte) []byte {
	if utf8.Valid(raw) && !needsJSONRewrite(raw) {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Not JSON after all: keep it as a JSON string.
		return jsonString(pgText(string(raw)))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(replaceNUL(v)); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// needsJSONRewrite reports whether raw has a \u escape jsonb refuses:
// \u0000 or a surrogate (\uD800–\uDFFF; valid pairs are rewritten too,
// which is harmless). An escaped backslash before "u" is skipped.
func needsJSONRewrite(raw []byte) bool {
	for i := 0; i < len(raw)-1; i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' || i+5 >= len(raw) {
			i++ // skip the escaped character (e.g. \\)
			continue
		}
		h := raw[i+2 : i+6]
		if string(h) == "0000" || (h[0] == 'd' || h[0] == 'D') && strings.ContainsRune("89abcdefABCDEF", rune(h[1])) {
			return true
		}
		i += 5
	}
	return false
}

func replaceNUL(v any) any {
	switch x := v.(type) {
	case string:
		return pgText(x)
	case []any:
		for i := range x {
			x[i] = replaceNUL(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[pgText(k)] = replaceNUL(val)
		}
		return out
	}
	return v
}

// jsonString encodes s as a JSON string; a Go string always encodes.
func jsonString(s string) []byte {
	out, err := json.Marshal(s)
	if err != nil {
		return []byte(`""`)
	}
	return out
}
