package runner_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/runner"
)

// resolver is the test's DNS: names that resolve to private addresses.
func resolver(_ context.Context, host string) ([]netip.Addr, error) {
	m := map[string][]string{
		"localhost":     {"127.0.0.1", "::1"},
		"internal.test": {"10.0.0.5"},
		"metadata.test": {"169.254.169.254"},
		"mapped.test":   {"::ffff:127.0.0.1"},
		"mixed.test":    {"10.0.0.1", "fd00::1"},
		"cgnat.test":    {"100.64.1.1"},
		"nat64.test":    {"64:ff9b::a00:1"},
		"local.test":    {"127.0.0.1"},
	}
	addrs, ok := m[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

var ssrfMatrix = []string{
	"http://127.0.0.1/",
	"http://127.0.0.2:8080/",
	"http://127.255.255.254/",
	"http://[::1]/",
	"https://[::1]:443/",
	"http://localhost/",
	"http://10.0.0.1/",
	"http://10.255.255.255/",
	"http://172.16.0.1/",
	"http://172.31.255.255/",
	"http://192.168.0.1/",
	"http://192.168.255.255/",
	"http://169.254.169.254/latest/meta-data/",
	"http://169.254.0.1/",
	"http://0.0.0.0/",
	"http://0.0.0.0:80/",
	"http://0/",
	"http://[::]/",
	"http://[::ffff:127.0.0.1]/",
	"http://[::ffff:10.0.0.1]/",
	"http://[::ffff:169.254.169.254]/",
	"http://2130706433/",
	"http://017700000001/",
	"http://0x7f000001/",
	"http://0177.0.0.1/",
	"http://0x7f.0.0.1/",
	"http://127.1/",
	"http://0xA9FEA9FE/",
	"http://3232235521/",
	"http://[fc00::1]/",
	"http://[fd12:3456::1]/",
	"http://[fe80::1]/",
	"http://[fe80::1%25eth0]/",
	"http://[64:ff9b::7f00:1]/",
	"http://[64:ff9b::a9fe:a9fe]/",
	"http://100.64.0.1/",
	"http://100.127.255.254/",
	"http://224.0.0.1/",
	"http://239.255.255.250/",
	"http://255.255.255.255/",
	"http://[ff02::1]/",
	"http://internal.test/",
	"http://metadata.test/",
	"http://mapped.test/",
	"http://mixed.test/",
	"http://cgnat.test/",
	"http://nat64.test/",
	"http://{{.Body.host}}/",
}

// TestSSRFMatrix: every destination is refused with a clear step error and
// no retry (one attempt, no step.retrying).
func TestSSRFMatrix(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(ssrfMatrix), 40)
	b := setup(t, func(c *runner.Config) {
		c.AllowCIDRs = nil
		c.LookupFunc = resolver
	})
	execs := map[string]string{}
	for _, u := range ssrfMatrix {
		wf := b.workflow(t, fmt.Sprintf(`[{"type":"http","method":"GET","url":%q}]`, u), nil)
		execs[u] = b.trigger(t, wf, hookstream.PriorityNormal, `{"host":"169.254.169.254"}`)
	}
	for u, exec := range execs {
		evs := b.waitEnd(t, exec, 60*time.Second)
		require.Equal(t, []string{"execution.started", "step.started", "step.failed", "execution.failed"}, types(evs), u)
		d := stepData(t, evs[2])
		require.Contains(t, d.Error, "destination refused", u)
		require.Contains(t, d.Error, "HOOKSTREAM_OUTBOUND_ALLOW_CIDRS", u)
		require.Equal(t, 1, d.Attempt, u)
	}
}

// TestSSRFAllowList: the allow list lets exactly its ranges through, and a
// redirect from an allowed host to a private one is refused.
func TestSSRFAllowList(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/to-private":
			http.Redirect(w, r, "http://10.0.0.7/x", http.StatusFound)
		case "/to-mapped":
			http.Redirect(w, r, "http://mapped.test:"+strings.Split(r.Host, ":")[1]+"/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(srv.Close)
	port := strings.Split(srv.URL, ":")[2]
	b := setup(t, func(c *runner.Config) {
		c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.LookupFunc = resolver
	})
	cases := []struct {
		url, want string
	}{
		{srv.URL + "/ok", "completed"},
		{"http://local.test:" + port + "/ok", "completed"},
		{"http://2130706433:" + port + "/ok", "completed"},
		{"http://[::ffff:127.0.0.1]:" + port + "/ok", "completed"},
		{srv.URL + "/to-mapped", "completed"},
		{"http://127.0.0.2:" + port + "/ok", "refused"},
		{"http://[::1]:" + port + "/ok", "refused"},
		{srv.URL + "/to-private", "refused"},
		{srv.URL + "/loop", "redirects"},
	}
	for _, c := range cases {
		wf := b.workflow(t, fmt.Sprintf(`[{"type":"http","url":%q}]`, c.url), nil)
		exec := b.trigger(t, wf, hookstream.PriorityNormal, `{}`)
		evs := b.waitEnd(t, exec, 60*time.Second)
		switch c.want {
		case "completed":
			require.Equal(t, hookstream.EventExecutionCompleted, evs[len(evs)-1].Type, "%s: %s", c.url, evs[len(evs)-1].Data)
		default:
			require.Equal(t, []string{"execution.started", "step.started", "step.failed", "execution.failed"}, types(evs), c.url)
			msg := stepData(t, evs[2]).Error
			if c.want == "refused" {
				require.Contains(t, msg, "destination refused", c.url)
			} else {
				require.Contains(t, msg, "redirects", c.url)
			}
		}
	}
	require.Positive(t, hits.Load())
}

func TestGuardParseCIDRs(t *testing.T) {
	t.Parallel()
	p, err := runner.ParseCIDRs(" 127.0.0.1/32, 10.1.0.0/16 ,::1")
	require.NoError(t, err)
	require.Len(t, p, 3)
	g := runner.NewGuard(p)
	require.NoError(t, g.Check("x", netip.MustParseAddr("10.1.2.3")))
	require.Error(t, g.Check("x", netip.MustParseAddr("10.2.0.1")))
	require.NoError(t, g.Check("x", netip.MustParseAddr("::1")))
	require.NoError(t, g.Check("x", netip.MustParseAddr("93.184.215.14")))
	_, err = runner.ParseCIDRs("nope")
	require.Error(t, err)
}
