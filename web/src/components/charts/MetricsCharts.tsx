// Charts of GET /api/v1/stats/timeseries (recharts, SVG).
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { statsAPI, STATS_RANGES, type StatsRange, type Timeseries } from '../../api/stats';
import { formatPercent } from '../../lib/format';
import { ErrorMessage } from '../ErrorMessage';

const COLORS = { accepted: '#2f9e5a', rejected: '#d64545', filtered: '#c99400', failed: '#a23bb5', p50: '#3b6fe0', p99: '#e07b3b' };

function tick(range: StatsRange) {
  return (iso: string) => {
    const d = new Date(iso);
    return range === '7d' ? d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };
}

/** A 24 h volume sparkline for a table cell; its text alternative gives the totals. */
export function Sparkline({ webhookId, label }: { webhookId: string; label: string }) {
  const ts = useQuery({
    queryKey: ['stats', 'timeseries', webhookId, '24h'],
    queryFn: () => statsAPI.timeseries({ range: '24h', webhookId }),
    refetchInterval: 60_000,
  });
  if (!ts.data) return <span className="muted">…</span>;
  const t = ts.data.totals;
  const summary = `${label}: ${t.volume} deliveries in 24 h, ${t.rejected + t.failed} rejected or failed`;
  return (
    <span className="spark" role="img" aria-label={summary} title={summary}>
      <AreaChart width={120} height={28} data={ts.data.points} margin={{ top: 2, right: 0, bottom: 2, left: 0 }}>
        <Area type="monotone" dataKey="accepted" stackId="1" stroke={COLORS.accepted} fill={COLORS.accepted} fillOpacity={0.35} isAnimationActive={false} dot={false} />
        <Area type="monotone" dataKey="rejected" stackId="1" stroke={COLORS.rejected} fill={COLORS.rejected} fillOpacity={0.5} isAnimationActive={false} dot={false} />
      </AreaChart>
    </span>
  );
}

function Totals({ ts }: { ts: Timeseries }) {
  const t = ts.totals;
  const errRate = t.volume ? (t.rejected + t.failed) / t.volume : 0;
  return (
    <dl className="facts totals" aria-label="Totals">
      <dt>Deliveries</dt>
      <dd>{t.volume}</dd>
      <dt>Accepted / rejected</dt>
      <dd>
        {t.accepted} / {t.rejected}
      </dd>
      <dt>Filtered / processed / failed</dt>
      <dd>
        {t.filtered} / {t.processed} / {t.failed}
      </dd>
      <dt>Error rate</dt>
      <dd>{formatPercent(errRate)}</dd>
      <dt>Ingest latency p50 / p99</dt>
      <dd>
        {t.p50Ms ?? '—'} ms / {t.p99Ms ?? '—'} ms
      </dd>
    </dl>
  );
}

/** Volume by outcome and ingest latency over 1 h / 24 h / 7 d, for a webhook or the whole tenant. */
export function MetricsCharts({ webhookId, title = 'Traffic' }: { webhookId?: string; title?: string }) {
  const [range, setRange] = useState<StatsRange>('24h');
  const ts = useQuery({
    queryKey: ['stats', 'timeseries', webhookId ?? '', range],
    queryFn: () => statsAPI.timeseries({ range, ...(webhookId ? { webhookId } : {}) }),
    refetchInterval: range === '1h' ? 15_000 : 60_000,
  });
  const fmt = tick(range);
  return (
    <section className="card chart-card" aria-labelledby="metrics-heading">
      <div className="page-head">
        <h2 id="metrics-heading">{title}</h2>
        <div role="group" aria-label="Time range" className="row-actions">
          {STATS_RANGES.map((r) => (
            <button key={r} type="button" className={`small${r === range ? ' primary' : ''}`} aria-pressed={r === range} onClick={() => setRange(r)}>
              {r}
            </button>
          ))}
        </div>
      </div>
      <ErrorMessage error={ts.error} />
      {ts.data && (
        <>
          <Totals ts={ts.data} />
          <div className="chart-grid">
            <figure className="chart" aria-label={`Deliveries by outcome, last ${range}`}>
              <figcaption>Deliveries by outcome</figcaption>
              <ResponsiveContainer width="100%" height={200}>
                <BarChart data={ts.data.points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid strokeDasharray="3 3" opacity={0.3} />
                  <XAxis dataKey="t" tickFormatter={fmt} minTickGap={24} fontSize={11} />
                  <YAxis allowDecimals={false} fontSize={11} />
                  <Tooltip labelFormatter={(l) => new Date(String(l)).toLocaleString()} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Bar dataKey="accepted" stackId="v" fill={COLORS.accepted} isAnimationActive={false} />
                  <Bar dataKey="rejected" stackId="v" fill={COLORS.rejected} isAnimationActive={false} />
                  <Bar dataKey="filtered" fill={COLORS.filtered} isAnimationActive={false} />
                  <Bar dataKey="failed" fill={COLORS.failed} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <figure className="chart" aria-label={`Ingest latency p50 and p99, last ${range}`}>
              <figcaption>Ingest latency (ms)</figcaption>
              <ResponsiveContainer width="100%" height={200}>
                <LineChart data={ts.data.points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid strokeDasharray="3 3" opacity={0.3} />
                  <XAxis dataKey="t" tickFormatter={fmt} minTickGap={24} fontSize={11} />
                  <YAxis fontSize={11} />
                  <Tooltip labelFormatter={(l) => new Date(String(l)).toLocaleString()} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Line type="monotone" dataKey="p50Ms" name="p50" stroke={COLORS.p50} dot={false} connectNulls isAnimationActive={false} />
                  <Line type="monotone" dataKey="p99Ms" name="p99" stroke={COLORS.p99} dot={false} connectNulls isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </figure>
          </div>
        </>
      )}
    </section>
  );
}
