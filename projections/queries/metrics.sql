-- name: ResetMetrics
DELETE FROM webhook_metrics_minute;

-- name: MetricsUpsert
INSERT INTO webhook_metrics_minute AS m (tenant_id, webhook_id, minute, received, rejected, filtered, processed, failed, latency_hist)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id, webhook_id, minute) DO UPDATE SET
    received  = m.received + EXCLUDED.received,
    rejected  = m.rejected + EXCLUDED.rejected,
    filtered  = m.filtered + EXCLUDED.filtered,
    processed = m.processed + EXCLUDED.processed,
    failed    = m.failed + EXCLUDED.failed,
    latency_hist = CASE
        WHEN cardinality(m.latency_hist) = 0 THEN EXCLUDED.latency_hist
        WHEN cardinality(EXCLUDED.latency_hist) = 0 THEN m.latency_hist
        ELSE (SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i)
              FROM unnest(m.latency_hist, EXCLUDED.latency_hist) WITH ORDINALITY AS t(a, b, i))
    END;

-- name: MetricsCounts
-- $1 tenant, $2 webhook ('' = all), $3 from, $4 to, $5 step (seconds)
SELECT date_bin(make_interval(secs => $5), minute, $3::timestamptz) AS b,
    sum(received)::bigint, sum(rejected)::bigint, sum(filtered)::bigint, sum(processed)::bigint, sum(failed)::bigint
FROM webhook_metrics_minute
WHERE tenant_id = $1 AND ($2 = '' OR webhook_id = $2) AND minute >= $3 AND minute < $4
GROUP BY b ORDER BY b;

-- name: MetricsLatency
SELECT date_bin(make_interval(secs => $5), m.minute, $3::timestamptz) AS b, h.i::int, sum(h.v)::bigint
FROM webhook_metrics_minute m, unnest(m.latency_hist) WITH ORDINALITY AS h(v, i)
WHERE m.tenant_id = $1 AND ($2 = '' OR m.webhook_id = $2) AND m.minute >= $3 AND m.minute < $4
GROUP BY b, h.i;
