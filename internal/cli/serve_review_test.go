package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/review"
)

// TestServeReview: "serve -brokers" lists what the topics hold (a flagged
// result, a dead letter) and refuses fixes, having no store.
func TestServeReview(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "palette.results", "palette.jobs.dlq", "palette.jobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	res, _ := json.Marshal(queue.Result{ProductID: "P1", Image: "s3://img/1.jpg", Output: "s3://palettes/P1.png", Source: "auto",
		Colors: []queue.Color{{Name: "Green", Hex: "#bd4550", LowConfidence: true, Via: "exact"}}})
	testinfra.Produce(t, brokers, "palette.results", kafka.Message{Key: []byte("P1"), Value: res})
	testinfra.Produce(t, brokers, "palette.jobs.dlq", kafka.Message{Key: []byte("P2"), Value: []byte(`{"product_id":"P2","image":"s3://img/2.jpg"}`),
		Headers: []kafka.Header{{Key: queue.HeaderErrorClass, Value: []byte("permanent")}, {Key: queue.HeaderErrorReason, Value: []byte("corrupt")}}})

	base := startServe(t, map[string]string{"PALETTE_ADMIN_TOKEN": "tok"}, "-brokers", strings.Join(brokers, ","))
	var page review.Page
	deadline := time.Now().Add(20 * time.Second)
	for len(page.Items) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("review list: %+v", page)
		}
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get(base + "/v1/review")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
	}
	reasons := map[string]string{}
	for _, it := range page.Items {
		reasons[it.ProductID] = it.Reason
	}
	if reasons["P1"] != review.ReasonLowConfidence || reasons["P2"] != review.ReasonDeadLetter {
		t.Fatalf("reasons %v", reasons)
	}
	req, _ := http.NewRequest("POST", base+"/v1/fix", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("fix on serve: %d, want 501", resp.StatusCode)
	}
	// The preview pages are still there.
	if resp, err := http.Get(base + "/v1/colormap"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/colormap: %v %v", resp, err)
	}
}
