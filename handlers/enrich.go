package handlers

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	useragent "github.com/medama-io/go-useragent"
	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/hookstream/hookstream/streams/webhooks"
)

// Redacted replaces the value of a redacted header (SPEC §3.6).
const Redacted = "[REDACTED]"

// alwaysRedacted are the headers redacted in every stored event.
var alwaysRedacted = []string{"Authorization", "Cookie", "Proxy-Authorization", "Set-Cookie"}

// sourceIP is the client address: the peer, or — only when the peer is a
// trusted proxy — the right-most X-Forwarded-For entry that is not a
// trusted proxy (the left-most when all are).
func sourceIP(remoteAddr string, xff []string, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(remoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trusted) {
		return peer
	}
	hops := forwardedFor(xff)
	if len(hops) == 0 {
		return peer
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if !inPrefixes(hops[i], trusted) {
			return hops[i]
		}
	}
	return hops[0]
}

// forwardedFor parses X-Forwarded-For values into addresses, left to
// right; it stops at the first entry that is not an address (everything
// left of a forged entry is untrustworthy anyway) and reads at most 32.
func forwardedFor(values []string) []netip.Addr {
	var out []netip.Addr
	var parts []string
	for _, v := range values {
		for p := range strings.SplitSeq(v, ",") {
			parts = append(parts, strings.TrimSpace(p))
			if len(parts) > 32 {
				break
			}
		}
	}
	for i := len(parts) - 1; i >= 0; i-- {
		a := parseHostAddr(parts[i])
		if !a.IsValid() {
			break
		}
		out = append([]netip.Addr{a}, out...)
	}
	return out
}

// parseHostAddr parses "ip", "ip:port", "[v6]:port" or "[v6]".
func parseHostAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseCIDRList parses a comma-separated list of CIDRs or addresses.
func ParseCIDRList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		p, err := webhooks.ParseCIDR(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// enricher computes webhook.received metadata (SPEC §3.5).
type enricher struct {
	ua  *useragent.Parser
	geo *maxminddb.Reader
}

type geoRecord struct {
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
}

func (en *enricher) userAgent(raw string) map[string]any {
	out := map[string]any{"raw": raw}
	if raw == "" {
		return out
	}
	ua := en.ua.Parse(raw)
	out["browser"] = string(ua.Browser())
	out["browserVersion"] = ua.BrowserVersion()
	out["os"] = string(ua.OS())
	out["device"] = string(ua.Device())
	out["bot"] = ua.IsBot()
	return out
}

func (en *enricher) geoOf(ip netip.Addr) map[string]any {
	if en.geo == nil || !ip.IsValid() {
		return nil
	}
	var rec geoRecord
	res := en.geo.Lookup(ip)
	if !res.Found() || res.Decode(&rec) != nil {
		return nil
	}
	g := map[string]any{}
	if rec.Country.ISOCode != "" {
		g["country"] = rec.Country.ISOCode
	}
	if n := rec.Country.Names["en"]; n != "" {
		g["countryName"] = n
	}
	if n := rec.City.Names["en"]; n != "" {
		g["city"] = n
	}
	if len(g) == 0 {
		return nil
	}
	return g
}

// metadata builds the event's metadata; bodyValue is the decoded body for
// JSON-path rules (nil when not JSON).
func (en *enricher) metadata(e *webhooks.Entry, r *http.Request, query url.Values, ip netip.Addr, received time.Time, bodyBytes int, bodyValue func() any) map[string]any {
	md := map[string]any{
		"receivedAt": received.UTC().Format(time.RFC3339Nano),
		"bodyBytes":  bodyBytes,
		"userAgent":  en.userAgent(r.Header.Get("User-Agent")),
	}
	if ip.IsValid() {
		md["sourceIp"] = ip.String()
	}
	if g := en.geoOf(ip); g != nil {
		md["geo"] = g
	}
	for k, v := range e.Webhook.Metadata {
		md[k] = v
	}
	for _, rule := range e.Rules {
		switch rule.Source {
		case "static":
			md[rule.Key] = rule.Value
		case "header":
			if v := r.Header.Get(rule.From); v != "" {
				md[rule.Key] = v
			}
		case "query":
			if query.Has(rule.From) {
				md[rule.Key] = query.Get(rule.From)
			}
		case "body":
			if rule.Path == nil {
				continue
			}
			v := bodyValue()
			if v == nil {
				continue
			}
			nodes := rule.Path.Select(v)
			switch len(nodes) {
			case 0:
			case 1:
				md[rule.Key] = nodes[0]
			default:
				md[rule.Key] = []any(nodes)
			}
		}
	}
	return md
}

// redactHeaders copies h with sensitive values replaced by Redacted;
// signature headers (keep) are never redacted.
func redactHeaders(h http.Header, redact map[string]bool, keep []string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		if redact[ck] && !containsFold(keep, ck) {
			vals := make([]string, len(v))
			for i := range vals {
				vals[i] = Redacted
			}
			out[ck] = vals
			continue
		}
		out[ck] = v
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// decodeJSONValue decodes a JSON body with json.Number (exact numbers).
func decodeJSONValue(raw []byte) any {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}
