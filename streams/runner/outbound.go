package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MaxRedirects is how many redirects an http step follows; each is dialled
// (and so checked) like the first request.
const MaxRedirects = 3

// ErrDestinationRefused is wrapped by every refusal of the outbound guard:
// the step fails at once, without a retry.
var ErrDestinationRefused = errors.New("destination refused")

// refusedError names the address refused and why.
type refusedError struct {
	host   string
	addr   netip.Addr
	reason string
}

func (e *refusedError) Error() string {
	if e.addr.IsValid() && e.host != e.addr.String() {
		return fmt.Sprintf("destination refused: %s resolves to %s (%s); allow it with HOOKSTREAM_OUTBOUND_ALLOW_CIDRS", e.host, e.addr, e.reason)
	}
	if e.addr.IsValid() {
		return fmt.Sprintf("destination refused: %s is %s; allow it with HOOKSTREAM_OUTBOUND_ALLOW_CIDRS", e.addr, e.reason)
	}
	return fmt.Sprintf("destination refused: %s (%s)", e.host, e.reason)
}

func (e *refusedError) Unwrap() error { return ErrDestinationRefused }

// blockedRanges are refused unless allowed (SPEC §6 outbound safety).
var blockedRanges = func() []struct {
	p      netip.Prefix
	reason string
} {
	list := []struct{ cidr, reason string }{
		{"0.0.0.0/8", "an unspecified/this-network address"},
		{"10.0.0.0/8", "a private address"},
		{"100.64.0.0/10", "a carrier-grade NAT address"},
		{"127.0.0.0/8", "a loopback address"},
		{"169.254.0.0/16", "a link-local address (cloud metadata)"},
		{"172.16.0.0/12", "a private address"},
		{"192.0.0.0/24", "an IETF protocol assignment"},
		{"192.0.2.0/24", "a documentation address"},
		{"192.88.99.0/24", "a 6to4 relay address"},
		{"192.168.0.0/16", "a private address"},
		{"198.18.0.0/15", "a benchmarking address"},
		{"198.51.100.0/24", "a documentation address"},
		{"203.0.113.0/24", "a documentation address"},
		{"224.0.0.0/4", "a multicast address"},
		{"240.0.0.0/4", "a reserved address"},
		{"255.255.255.255/32", "the broadcast address"},
		{"::/128", "the unspecified address"},
		{"::1/128", "a loopback address"},
		{"::ffff:0:0/96", "an IPv4-mapped address"},
		{"64:ff9b::/96", "a NAT64 address"},
		{"64:ff9b:1::/48", "a NAT64 address"},
		{"100::/64", "a discard-only address"},
		{"2001::/23", "an IETF protocol assignment"},
		{"2001:db8::/32", "a documentation address"},
		{"2002::/16", "a 6to4 address"},
		{"fc00::/7", "a unique local address"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"ff00::/8", "a multicast address"},
	}
	out := make([]struct {
		p      netip.Prefix
		reason string
	}, 0, len(list))
	for _, b := range list {
		out = append(out, struct {
			p      netip.Prefix
			reason string
		}{netip.MustParsePrefix(b.cidr), b.reason})
	}
	return out
}()

// Guard decides which addresses outbound requests may reach.
type Guard struct {
	allow []netip.Prefix
}

// NewGuard returns a guard that lets allow through (e.g. 127.0.0.1/32 for
// tests, an on-prem range) and refuses every blocked range otherwise.
func NewGuard(allow []netip.Prefix) *Guard { return &Guard{allow: allow} }

// ParseCIDRs parses a comma-separated list of CIDRs or addresses (an
// address is its own /32 or /128).
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("outbound allow list: %q is not a CIDR", part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Check returns a *refusedError (wrapping ErrDestinationRefused) when addr
// may not be reached. The allow list is matched on the address as given
// and on its IPv4 form when it is IPv4-mapped.
func (g *Guard) Check(host string, addr netip.Addr) error {
	addr = addr.WithZone("")
	for _, p := range g.allow {
		if p.Contains(addr) || (addr.Is4In6() && p.Contains(addr.Unmap())) {
			return nil
		}
	}
	for _, b := range blockedRanges {
		if b.p.Contains(addr) {
			return &refusedError{host: host, addr: addr, reason: b.reason}
		}
	}
	return nil
}

// parseLooseIPv4 reads the IPv4 spellings inet_aton accepts (decimal
// 2130706433, octal 0177.0.0.1, hex 0x7f.1, short forms 127.1) so that a
// host that some resolver would read as an address is checked as one.
func parseLooseIPv4(host string) (netip.Addr, bool) {
	if host == "" || strings.Trim(host, "0123456789abcdefABCDEFxX.") != "" {
		return netip.Addr{}, false
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 0, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := range last {
		if vals[i] > 255 {
			return netip.Addr{}, false
		}
		n |= vals[i] << (24 - 8*i)
	}
	if vals[last] >= 1<<(32-8*last) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// LookupFunc resolves a host name to addresses.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// dialer dials only checked addresses: the host is resolved here, every
// address is checked, and the connection's Control checks again on the
// socket's address (no resolver can slip another address in between).
type dialer struct {
	guard  *Guard
	lookup LookupFunc
	net    net.Dialer
}

func newDialer(g *Guard, lookup LookupFunc) *dialer {
	d := &dialer{guard: g, lookup: lookup}
	if d.lookup == nil {
		d.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	d.net = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: d.control}
	return d
}

func (d *dialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusedError{host: address, reason: "unparsable address"}
	}
	return d.guard.Check(ap.Addr().String(), ap.Addr())
}

// DialContext implements http.Transport.DialContext.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if a, ok := parseLooseIPv4(host); ok {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = d.lookup(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	var refused error
	var lastErr error
	for _, a := range addrs {
		if err := d.guard.Check(host, a); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		conn, err := d.net.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, refused
}

// newHTTPClient returns the client of http steps: guarded dialer, no proxy
// from the environment, TLS verification on (the default), at most
// MaxRedirects redirects. The per-step timeout is the request's context.
func newHTTPClient(g *Guard, lookup LookupFunc) *http.Client {
	d := newDialer(g, lookup)
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("%w: more than %d redirects", errTooManyRedirects, MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return &refusedError{host: req.URL.Host, reason: "redirect to scheme " + req.URL.Scheme}
			}
			return nil
		},
	}
}

var errTooManyRedirects = errors.New("too many redirects")
