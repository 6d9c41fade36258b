package worker

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/palette-dev/palette/queue"
)

// DevBroker starts an in-process Kafka-protocol broker (franz-go's kfake)
// on a loopback port with the jobs, results and dead-letter topics of q
// (4 partitions each) and returns its address and a stop function.
func DevBroker(q queue.Config) (addr string, stop func(), err error) {
	topic := func(t, def string) string {
		if t == "" {
			return def
		}
		return t
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4,
		topic(q.Topic, "palette.jobs"), topic(q.ResultsTopic, "palette.results"), topic(q.DLQTopic, "palette.jobs.dlq")))
	if err != nil {
		return "", nil, fmt.Errorf("worker: starting the dev broker: %w", err)
	}
	return c.ListenAddrs()[0], c.Close, nil
}

// DevJobs reads the sample jobs of a manifest (CSV with the header
// "image,colors", colours separated by "|"): one job per photo, with a
// file:// image reference and the file name as product id.
func DevJobs(manifest string) ([]queue.Job, error) {
	f, err := os.Open(manifest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	abs, err := filepath.Abs(filepath.Dir(manifest))
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil {
		return nil, fmt.Errorf("%s: %w", manifest, err)
	}
	var jobs []queue.Job
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return jobs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", manifest, err)
		}
		if len(rec) < 2 {
			continue
		}
		name := strings.TrimSpace(rec[0])
		jobs = append(jobs, queue.Job{
			V:         1,
			ProductID: strings.TrimSuffix(name, filepath.Ext(name)),
			Image:     "file://" + filepath.ToSlash(filepath.Join(abs, name)),
			Colors:    strings.Split(rec[1], "|"),
		})
	}
}

// Enqueue publishes jobs to the configured jobs topic.
func Enqueue(ctx context.Context, q queue.Config, jobs []queue.Job) error {
	topic := q.Topic
	if topic == "" {
		topic = "palette.jobs"
	}
	return queue.Enqueue(ctx, q.Brokers, topic, jobs...)
}
