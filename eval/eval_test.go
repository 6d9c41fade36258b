package eval

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

const labels = "\ufefffile,colours,boxes,ref_hex\n" +
	"myntra_14064.jpg,Multi|Multi|Red|Blue,,||#be4a51|#6a8ac3\n" +
	"missing.jpg,Red|Blue,,#ff0000|#0000ff\n" +
	"myntra_21572.jpg,Multi,,\n"

func TestRun(t *testing.T) {
	rows, err := ReadLabels(strings.NewReader(labels))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), rows, "../testdata/images", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scored != 4 || rep.Failed != 1 {
		t.Errorf("scored %d, failed %d; want 4 and 1", rep.Scored, rep.Failed)
	}
	s := rep.Scores
	if s[0].Name != "Red" || !s[0].Hit || s[1].Name != "Blue" || !s[1].Hit {
		t.Errorf("Red and Blue after two Multi: %+v %+v", s[0], s[1])
	}
	if s[2].Hit || s[2].Error == "" {
		t.Errorf("missing photo: %+v", s[2])
	}
	if rep.HitRate != 50 {
		t.Errorf("hit rate %v, want 50", rep.HitRate)
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "hit rate 50.0%") || !strings.Contains(b.String(), "failed photos: 1") {
		t.Errorf("text report:\n%s", b.String())
	}
}

func TestReadLabelsErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"file,colours\nx.jpg,Red\n",
		"file,colours,ref_hex\nx.jpg,Red,#ff0000|#00ff00\n",
	} {
		if _, err := ReadLabels(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// The trust figures: AUROC of the confidence and the flag rates, on
// literal trials, and the trials a labelled photo gives.
func TestTrust(t *testing.T) {
	tr := Trust{Trials: []Trial{
		{Right: true, Confidence: 0.9}, {Right: true, Confidence: 0.5, Flagged: true},
		{Right: false, Confidence: 0.5, Flagged: true}, {Right: false, Confidence: 0.1, Flagged: true},
		{Right: false, Confidence: 0.6},
	}}
	tr.sum()
	// Pairs right>wrong: 0.9 beats all three; 0.5 ties one, beats one.
	if tr.Right != 2 || tr.Wrong != 3 || tr.AUROC != round3(4.5/6) || tr.FlaggedWrong != round3(2.0/3) || tr.FlaggedRight != 0.5 {
		t.Errorf("sum = %+v", tr)
	}

	rows, err := ReadLabels(strings.NewReader("file,colours,ref_hex\nmyntra_14064.jpg,Red|Blue,#be4a51|#6a8ac3\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), rows, "../testdata/images", nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, tr := range rep.Trust.Trials {
		kinds[tr.Kind]++
		if tr.Kind != "label" && (tr.Right || !tr.Flagged) {
			t.Errorf("%s trial %q: right %v, flagged %v (%v)", tr.Kind, tr.Name, tr.Right, tr.Flagged, tr.Reasons)
		}
	}
	if kinds["label"] != 2 || kinds["wrong"] != 1 || kinds["accent"] > 1 {
		t.Errorf("trials %v, want 2 label, 1 wrong, at most 1 accent", kinds)
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "AUROC") {
		t.Errorf("text report lacks the trust line:\n%s", b.String())
	}
}
