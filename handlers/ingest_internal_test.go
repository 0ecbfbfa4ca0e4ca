package handlers

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONTooDeep(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		in   string
		max  int
		want bool
	}{
		{`{}`, 1, false},
		{`{"a":{}}`, 1, true},
		{deep(64), 64, false},
		{deep(65), 64, true},
		{`{"s":"[[[[[[[["}`, 2, false},
		{`{"s":"\"[[[["}`, 2, false},
		{`["\\",[[]]]`, 3, false},
		{`["\\",[[[]]]]`, 3, true},
		{deep(100000), 64, true},
	} {
		require.Equal(t, tc.want, jsonTooDeep([]byte(tc.in), tc.max), tc.in[:min(len(tc.in), 40)])
	}
}

// depthOf is a reference: the nesting depth by decoding (valid JSON only).
func depthOf(v any) int {
	switch x := v.(type) {
	case map[string]any:
		d := 0
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		d := 0
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}

func FuzzJSONTooDeep(f *testing.F) {
	for _, s := range []string{`{}`, `[[["a"]]]`, `{"a":"}}}","b":[{"c":[]}]}`, `"\\"`, `[`} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, data []byte, limit int) {
		if limit < 1 || limit > 200 {
			return
		}
		got := jsonTooDeep(data, limit)
		var v any
		if len(data) < 10000 && json.Unmarshal(data, &v) == nil {
			if want := depthOf(v) > limit; got != want {
				t.Fatalf("jsonTooDeep(%q, %d) = %v, want %v", data, limit, got, want)
			}
		}
	})
}

func TestSourceIP(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"203.0.113.1:5000", []string{"1.2.3.4"}, "203.0.113.1"}, // untrusted peer: XFF ignored
		{"127.0.0.1:5000", []string{"1.2.3.4"}, "1.2.3.4"},
		{"127.0.0.1:5000", []string{"6.6.6.6, 1.2.3.4, 10.1.1.1"}, "1.2.3.4"}, // right-most untrusted
		{"127.0.0.1:5000", []string{"10.2.2.2", "10.1.1.1"}, "10.2.2.2"},      // all trusted: left-most
		{"127.0.0.1:5000", []string{"garbage, 1.2.3.4"}, "1.2.3.4"},
		{"127.0.0.1:5000", []string{"1.2.3.4, garbage"}, "127.0.0.1"},
		{"127.0.0.1:5000", nil, "127.0.0.1"},
		{"[::ffff:127.0.0.1]:80", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
	} {
		require.Equal(t, tc.want, sourceIP(tc.remote, tc.xff, trusted).String(), "%v %v", tc.remote, tc.xff)
	}
}

func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 10.0.0.1", "[::1]:80, x", "", ",,,", "::ffff:1.2.3.4%eth0"} {
		f.Add("127.0.0.1:1", s)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		hops := forwardedFor([]string{xff})
		require.LessOrEqual(t, len(hops), 33)
		ip := sourceIP(remote, []string{xff}, trusted)
		if peer := parseHostAddr(remote); !peer.IsValid() || !trusted[0].Contains(peer) {
			require.Equal(t, peer, ip)
		}
		if ip.IsValid() {
			require.Empty(t, ip.Zone())
		}
	})
}

func TestEncodeBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mt, body, want, enc string
	}{
		{"application/json", `{"a":1}`, `{"a":1}`, ""},
		{"application/vnd.api+json", `[1]`, `[1]`, ""},
		{"", `{"a":1}`, `{"a":1}`, ""},
		{"", `not json`, `"not json"`, ""},
		{"application/x-www-form-urlencoded", "a=1&b=2&b=3", `{"a":"1","b":["2","3"]}`, ""},
		{"text/xml", "<a/>", `"<a/>"`, ""},
		{"application/octet-stream", "abc", `"YWJj"`, "base64"},
		{"image/png", "\x89PNG", `"iVBORw=="`, "base64"},
		{"text/plain", "\xff\xfe", `"//4="`, "base64"},
	} {
		got := encodeBody(tc.mt, []byte(tc.body), 64)
		require.JSONEq(t, tc.want, string(got.JSON), tc.mt)
		require.Equal(t, tc.enc, got.Encoding, tc.mt)
	}
}

func TestAcceptsType(t *testing.T) {
	t.Parallel()
	require.True(t, acceptsType(nil, "text/xml"))
	require.True(t, acceptsType([]string{"application/json"}, "application/json"))
	require.False(t, acceptsType([]string{"application/json"}, "text/xml"))
	require.True(t, acceptsType([]string{"text/*"}, "text/xml"))
	require.False(t, acceptsType([]string{"text/*"}, "textual/xml"))
	require.True(t, acceptsType([]string{"*/*"}, ""))
	require.Equal(t, "application/json", mediaType("Application/JSON; charset=utf-8"))
}
