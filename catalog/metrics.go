package catalog

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// metrics are the Client's Prometheus metrics, all prefixed
// palette_catalog_.
type metrics struct {
	lookups         *prometheus.CounterVec // hit, stale, negative, miss
	refreshes       prometheus.Counter
	refreshFailures prometheus.Counter
	calls           *prometheus.CounterVec // by outcome
	callDuration    prometheus.Histogram
}

// newMetrics makes the metrics and registers them on reg, if not nil;
// entries reports the number of cached products, state the breaker's.
func newMetrics(reg prometheus.Registerer, entries func() int, state func() gobreaker.State) (metrics, error) {
	m := metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palette_catalog_lookups_total",
			Help: "Colour lookups by result: hit (fresh in the cache), stale (served from the cache while a refresh runs), negative (a recent answer of no usable colours), miss (waited for the catalog).",
		}, []string{"result"}),
		refreshes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palette_catalog_refreshes_total",
			Help: "Background refreshes of stale cache entries started (at most one per product at a time).",
		}),
		refreshFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palette_catalog_refresh_failures_total",
			Help: "Refreshes that got no answer from the catalog; the stale colours were kept for another TTL.",
		}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palette_catalog_calls_total",
			Help: "Calls to the catalog by outcome: ok, not_found, rejected, no_colors, bad_colors, unavailable (5xx, 408, 429), timeout, error (network), malformed (not JSON, too large); circuit_open and busy never reached the catalog.",
		}, []string{"outcome"}),
		callDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "palette_catalog_call_duration_seconds",
			Help:    "Time of the calls that reached the catalog.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1 ms to 8 s
		}),
	}
	if reg == nil {
		return m, nil
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "palette_catalog_cache_entries",
		Help: "Products in the colour cache.",
	}, func() float64 { return float64(entries()) })
	breaker := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "palette_catalog_breaker_state",
		Help: "The circuit breaker in front of the catalog: 0 closed, 1 half-open (the next call is a probe), 2 open.",
	}, func() float64 { return float64(state()) })
	var errs []error
	for _, c := range []prometheus.Collector{m.lookups, m.refreshes, m.refreshFailures, m.calls, m.callDuration, size, breaker} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return m, errors.Join(errors.New("catalog: registering metrics"), err)
	}
	return m, nil
}
