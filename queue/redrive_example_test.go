package queue_test

import (
	"context"
	"fmt"
	"log"

	"github.com/palette-dev/palette/queue"
)

// A backfill: jobs sent at most 200 a second, keyed by product id.
func ExampleProducer() {
	p, err := queue.NewProducer(queue.ProducerConfig{Brokers: []string{"localhost:9092"}, Rate: 200})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	jobs := []queue.Job{{ProductID: "P1", Image: "s3://catalog-images/P1/1.jpg", Colors: []string{"Navy"}}}
	n, err := p.Send(context.Background(), jobs)
	fmt.Println(n, err)
}

// The permanent dead letters whose reason mentions a missing object, sent
// back to the jobs topic once (the photos were uploaded since).
func ExampleRedrive() {
	rep, err := queue.Redrive(context.Background(), queue.RedriveConfig{
		Brokers:  []string{"localhost:9092"},
		Class:    queue.ClassPermanent,
		Reason:   "object not found",
		OnLetter: func(l queue.Letter) { fmt.Println("sent", l.Place(), string(l.Key)) },
	})
	fmt.Println(rep.Sent, "of", rep.Read, "in group", rep.Group, err)
}

// The review page's "Send again": one letter, by its place.
func ExampleRedriveOne() {
	l, err := queue.RedriveOne(context.Background(), []string{"localhost:9092"}, "palette.jobs.dlq", 3, 1234, "palette.jobs")
	if err != nil {
		log.Print(err) // wraps queue.ErrNoLetter when there is no letter there
		return
	}
	fmt.Println("sent again:", l.Place(), l.Class, l.Reason)
}
