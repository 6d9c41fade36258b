package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// Publisher writes result events that no job produced (a person's fix
// from the review page) to the results topic, keyed by product id as the
// consumer's are. It is safe for concurrent use; Close it when done.
type Publisher struct {
	w *kafka.Writer
}

// NewPublisher returns a Publisher to topic (the results topic) on
// brokers.
func NewPublisher(brokers []string, topic string) (*Publisher, error) {
	if len(brokers) == 0 || topic == "" {
		return nil, errors.New("queue: a publisher needs brokers and a topic")
	}
	return &Publisher{w: jobWriter(brokers, topic)}, nil
}

// Publish writes r and returns once all in-sync replicas have it. An
// empty Source is sent as SourceAuto; ProductID and Output are required.
func (p *Publisher) Publish(ctx context.Context, r Result) error {
	if r.ProductID == "" || r.Output == "" {
		return errors.New("queue: a result needs a product id and an output")
	}
	if r.Source == "" {
		r.Source = SourceAuto
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("queue: encoding result: %w", err)
	}
	if err := p.w.WriteMessages(ctx, kafka.Message{Key: []byte(r.ProductID), Value: v}); err != nil {
		return fmt.Errorf("queue: publishing result: %w", err)
	}
	return nil
}

// Close flushes and closes the Publisher's connections.
func (p *Publisher) Close() error { return p.w.Close() }
