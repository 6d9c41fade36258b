package worker

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/palette-dev/palette/queue"
)

// metrics are the worker's Prometheus metrics, all prefixed palette_.
type metrics struct {
	jobs     *prometheus.CounterVec   // by outcome
	duration *prometheus.HistogramVec // job wall time by outcome
	stage    *prometheus.HistogramVec // catalog, wait, fetch, swatch, store
	retries  prometheus.Counter
	inFlight prometheus.Gauge
	lag      *prometheus.GaugeVec // by partition
	reloads  *prometheus.CounterVec
	// unknownNames counts colour names no tier of the map knew.
	unknownNames  prometheus.Counter
	depUp         *prometheus.GaugeVec // by dependency: 1 up, 0 down
	paused        prometheus.Counter
	unpublishable *prometheus.CounterVec // by topic
	memBudget     prometheus.Gauge
	memReserved   prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) metrics {
	buckets := prometheus.ExponentialBuckets(0.001, 2, 14) // 1 ms to 8 s
	m := metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palette_jobs_total", Help: "Jobs finished, by outcome (ok, dead_letter_permanent, dead_letter_exhausted, abandoned, dropped: not even a cut dead letter could be published).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "palette_job_duration_seconds", Help: "Wall time of a job, retries included, by outcome.", Buckets: buckets,
		}, []string{"outcome"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "palette_stage_duration_seconds", Help: "Time per attempt in each stage: catalog (jobs without colours only), wait (for an image slot), fetch, swatch, store.", Buckets: buckets,
		}, []string{"stage"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palette_retries_total", Help: "Retries of jobs after a transient error.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palette_jobs_in_flight", Help: "Jobs being processed now.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "palette_consumer_lag", Help: "Messages behind the partition's high-water mark at the last fetch.",
		}, []string{"partition"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palette_colormap_reloads_total", Help: "Colour-map changes, by result: ok (file reloaded), rejected (invalid file kept out), saved (from the editor).",
		}, []string{"result"}),
		unknownNames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palette_unknown_names_total", Help: "Colour names no tier of the colour map knew (map, head word, open vocabulary); each swatch used the product's main colour for it, flagged low_confidence.",
		}),
		depUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "palette_dependency_up", Help: "Whether a dependency answers (1) or is down (0): broker, s3, catalog. While s3 or catalog is down the worker takes no new jobs.",
		}, []string{"dependency"}),
		paused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palette_paused_seconds_total", Help: "Time the worker took no new jobs because object storage or the catalog was down.",
		}),
		unpublishable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palette_unpublishable_total", Help: "Results or dead letters the broker can never take (too large for the topic), by topic; a result is then dead-lettered, a dead letter logged and dropped.",
		}, []string{"topic"}),
		memBudget: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palette_memory_budget_bytes", Help: "The -memory budget: photo data and decoded pixels held at once.",
		}),
		memReserved: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palette_memory_reserved_bytes", Help: "Memory reserved by the jobs decoding now (at most the budget).",
		}),
	}
	reg.MustRegister(m.jobs, m.duration, m.stage, m.retries, m.inFlight, m.lag, m.reloads, m.unknownNames,
		m.depUp, m.paused, m.unpublishable, m.memBudget, m.memReserved,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m metrics) hooks() queue.Hooks {
	return queue.Hooks{
		OnOutcome: func(outcome string, d time.Duration) {
			m.jobs.WithLabelValues(outcome).Inc()
			m.duration.WithLabelValues(outcome).Observe(d.Seconds())
		},
		OnRetry:    m.retries.Inc,
		OnInFlight: func(delta int) { m.inFlight.Add(float64(delta)) },
		OnLag: func(partition int, lag int64) {
			m.lag.WithLabelValues(strconv.Itoa(partition)).Set(float64(lag))
		},
		OnUnpublishable: func(topic string) { m.unpublishable.WithLabelValues(topic).Inc() },
	}
}
