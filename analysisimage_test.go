package palette

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/palette-dev/palette/match"
)

// bigJPEG is a catalog photo from testdata scaled up past DCMinPixels.
func bigJPEG(t *testing.T, name string) ([]byte, image.Image) {
	t.Helper()
	img, _, err := DecodeBytes(readTestdata(t, "images/"+name), nil)
	if err != nil {
		t.Fatal(err)
	}
	big := imaging.Resize(img, img.Bounds().Dx()*4, img.Bounds().Dy()*4, imaging.Linear)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, big, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if px := big.Bounds().Dx() * big.Bounds().Dy(); px < DCMinPixels {
		t.Fatalf("%d pixels: not past DCMinPixels", px)
	}
	return b.Bytes(), big
}

// The DC path picks the same shades as a full decode, within a small ΔE.
func TestProcessLargeJPEGMatchesFullDecode(t *testing.T) {
	for _, c := range []struct {
		file  string
		names []string
	}{
		{"myntra_14064.jpg", []string{"Red", "Blue"}},
		{"myntra_6449.jpg", []string{"Beige", "Black"}},
		{"myntra_31545.jpg", []string{"Purple"}},
	} {
		data, big := bigJPEG(t, c.file)
		fast, err := Process(context.Background(), data, c.names, nil)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Generate(context.Background(), big, c.names, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fast.Quantized.Rect == full.Quantized.Rect {
			t.Errorf("%s: the large JPEG did not take the DC path", c.file)
		}
		for i := range fast.Picks {
			a, b := match.ToLab(fast.Picks[i].Color), match.ToLab(full.Picks[i].Color)
			if de := match.CIEDE2000(a, b); de > 6 { // clusters of a different analysis image shift a little
				t.Errorf("%s %s: DC path %s, full decode %s (ΔE2000 %.1f)", c.file, c.names[i], fast.Picks[i].Hex, full.Picks[i].Hex, de)
			}
		}
	}
}

func TestProcessLargeJPEGOrientation(t *testing.T) {
	data, big := bigJPEG(t, "myntra_6449.jpg") // 900×1200
	res, err := Process(context.Background(), withOrientation(data, 6), []string{"Black"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := big.Bounds()
	if q := res.Quantized.Rect; (q.Dx() > q.Dy()) != (b.Dy() > b.Dx()) {
		t.Errorf("analysis image %v is not turned like the %v photo with orientation 6", q, b)
	}
}

// A damaged large JPEG gets the full decoder's error.
func TestProcessLargeJPEGCorrupt(t *testing.T) {
	data, _ := bigJPEG(t, "myntra_14064.jpg")
	_, err := Process(context.Background(), data[:len(data)/2], []string{"Red"}, nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("err = %v, want ErrCorrupt", err)
	}
}
