package review

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/palette-dev/palette/queue"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// result is a results-topic record at t0+sec.
func result(sec int, r queue.Result) queue.Record {
	v, _ := json.Marshal(r)
	return queue.Record{Topic: "palette.results", Partition: 1, Offset: int64(sec), Time: t0.Add(time.Duration(sec) * time.Second), Key: []byte(r.ProductID), Value: v}
}

// letter is a dead-letter record at t0+sec of a job value.
func letter(sec int, job string) queue.Record {
	return queue.Record{Topic: "palette.jobs.dlq", Partition: 2, Offset: int64(100 + sec), Time: t0.Add(time.Duration(sec) * time.Second),
		Key: []byte("K"), Value: []byte(job), Headers: map[string]string{queue.HeaderErrorClass: queue.ClassPermanent, queue.HeaderErrorReason: "corrupt", queue.HeaderAttempts: "1"}}
}

var (
	clean   = []queue.Color{{Name: "Red", Hex: "#bd4550", Via: "exact"}}
	low     = []queue.Color{{Name: "Green", Hex: "#bd4550", Via: "exact", LowConfidence: true}}
	unknown = []queue.Color{{Name: "Red", Hex: "#bd4550"}, {Name: "Blorptastic", Hex: "#6685bc", Via: "unknown", LowConfidence: true}}
)

func res(out string, colors []queue.Color, source string) queue.Result {
	return queue.Result{ProductID: "P-" + out, Image: "s3://img/" + out + ".jpg", Output: "s3://out/" + out, Colors: colors, Source: source}
}

// TestIndexApply: which records make, replace and remove an item.
func TestIndexApply(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []queue.Record
		want map[string]string // output → reason
	}{
		{"clean result: nothing", []queue.Record{result(1, res("a", clean, "auto"))}, map[string]string{}},
		{"flagged pick", []queue.Record{result(1, res("a", low, "auto"))}, map[string]string{"s3://out/a": ReasonLowConfidence}},
		{"unknown name wins over low", []queue.Record{result(1, res("a", unknown, "auto"))}, map[string]string{"s3://out/a": ReasonUnknownName}},
		{"manual", []queue.Record{result(1, res("a", clean, "manual"))}, map[string]string{"s3://out/a": ReasonManual}},
		{"empty source is auto", []queue.Record{result(1, res("a", low, ""))}, map[string]string{"s3://out/a": ReasonLowConfidence}},
		{"later clean result removes", []queue.Record{result(1, res("a", low, "auto")), result(2, res("a", clean, "auto"))}, map[string]string{}},
		{"earlier clean result read later removes nothing", []queue.Record{result(2, res("a", low, "auto")), result(1, res("a", clean, "auto"))},
			map[string]string{"s3://out/a": ReasonLowConfidence}},
		{"later result replaces", []queue.Record{result(1, res("a", low, "auto")), result(2, res("a", clean, "manual"))}, map[string]string{"s3://out/a": ReasonManual}},
		{"removed stays removed against older records", []queue.Record{result(3, res("a", clean, "auto")), result(1, res("a", low, "auto"))}, map[string]string{}},
		{"two outputs", []queue.Record{result(1, res("a", low, "auto")), result(2, res("b", unknown, "auto"))},
			map[string]string{"s3://out/a": ReasonLowConfidence, "s3://out/b": ReasonUnknownName}},
		{"dead letter with output", []queue.Record{letter(1, `{"product_id":"P","image":"s3://img/a.jpg","output":"s3://out/a"}`)},
			map[string]string{"s3://out/a": ReasonDeadLetter}},
		{"dead letter then result for its output", []queue.Record{letter(1, `{"product_id":"P","image":"s3://img/a.jpg","output":"s3://out/a"}`), result(2, res("a", clean, "auto"))},
			map[string]string{}},
		{"dead letter without output, then the job's result", []queue.Record{letter(1, `{"product_id":"P-a","image":"s3://img/a.jpg"}`), result(2, res("a", clean, "auto"))},
			map[string]string{}},
		{"result, then a later dead letter of the same output", []queue.Record{result(1, res("a", low, "auto")), letter(2, `{"product_id":"P-a","image":"s3://img/a.jpg","output":"s3://out/a"}`)},
			map[string]string{"s3://out/a": ReasonDeadLetter}},
		{"malformed job", []queue.Record{letter(1, `{"v":1,"product_id":`)}, map[string]string{"": ReasonDeadLetter}},
		{"not JSON result, other topic", []queue.Record{{Topic: "palette.results", Value: []byte("x")}, {Topic: "other", Value: []byte("{}")}}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := NewIndex(IndexConfig{})
			for _, r := range tc.recs {
				x.Apply(r)
			}
			p, err := x.List(Query{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, it := range p.Items {
				got[it.Output] = it.Reason
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("items %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIndexDeadLetterFields(t *testing.T) {
	x := NewIndex(IndexConfig{})
	x.Apply(letter(5, `{"product_id":"P","image":"s3://img/a.jpg","colors":["Red"]}`))
	p, _ := x.List(Query{})
	it := p.Items[0]
	if it.ProductID != "P" || it.Class != queue.ClassPermanent || it.Error != "corrupt" || it.Attempts != 1 ||
		it.Partition != 2 || it.Offset != 105 || it.Names[0] != "Red" || it.Colors == nil || !it.At.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("%+v", it)
	}
	if got, ok := x.Get(it.ID); !ok || got.Offset != 105 {
		t.Fatalf("Get(%q) = %+v, %v", it.ID, got, ok)
	}
	if _, ok := x.Get("nope"); ok {
		t.Fatal("Get of an unknown id")
	}
}

// TestIndexListPages: newest first, filters, and a cursor that stays
// valid while newer items come in; the bound and the window.
func TestIndexListPages(t *testing.T) {
	x := NewIndex(IndexConfig{Max: 8, Window: time.Hour, Now: func() time.Time { return t0.Add(time.Hour + 3*time.Second) }})
	for i := range 10 {
		colors := low
		if i%3 == 0 {
			colors = unknown
		}
		x.Apply(result(i, res(fmt.Sprintf("o%d", i), colors, "auto")))
	}
	// Max 8 dropped o0 and o1; the window (t0+3s on) drops o2.
	if n := x.Len(); n != 7 {
		t.Fatalf("Len = %d, want 7", n)
	}
	p1, err := x.List(Query{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if p1.Total != 7 || len(p1.Items) != 3 || p1.Items[0].Output != "s3://out/o9" || p1.Items[2].Output != "s3://out/o7" || p1.Next == "" {
		t.Fatalf("first page %+v", p1)
	}
	x.Apply(result(20, res("new", low, "auto"))) // newer: not on the next pages
	p2, _ := x.List(Query{Limit: 3, Cursor: p1.Next})
	p3, _ := x.List(Query{Limit: 3, Cursor: p2.Next})
	var got []string
	for _, it := range append(p2.Items, p3.Items...) {
		got = append(got, it.Output)
	}
	if fmt.Sprint(got) != "[s3://out/o6 s3://out/o5 s3://out/o4 s3://out/o3]" || p3.Next != "" {
		t.Fatalf("next pages %v (next %q)", got, p3.Next)
	}
	for _, tc := range []struct {
		q    Query
		want int
	}{
		{Query{Reason: ReasonUnknownName}, 3}, // o3, o6, o9
		{Query{Q: "BLORP"}, 3},
		{Query{Q: "o5"}, 1},
		{Query{Q: "img/o4.jpg"}, 1},
		{Query{Reason: ReasonDeadLetter}, 0},
	} {
		p, err := x.List(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != tc.want || len(p.Items) != tc.want {
			t.Errorf("%+v: %d items, total %d, want %d", tc.q, len(p.Items), p.Total, tc.want)
		}
	}
	for _, q := range []Query{{Reason: "bogus"}, {Limit: -1}, {Limit: MaxLimit + 1}, {Cursor: "%%%"}, {Cursor: "YWJj"}} {
		if _, err := x.List(q); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}
