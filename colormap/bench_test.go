package colormap

import (
	"testing"

	"github.com/palette-dev/palette/colormap/internal/vocab"
)

// Resolving through each tier, on the default map with the vocabulary
// loaded (vocab's BenchmarkLoad measures the one-time load).
func BenchmarkResolve(b *testing.B) {
	m := Default()
	vocab.Len() // load the table outside the timing
	for _, bc := range []struct{ tier, name string }{
		{"exact", "Navy Blue"},
		{"modifier", "Light Greenish Khaki"},
		{"head", "Storm Cloud Navy Heather"},
		{"vocabulary", "Vintage Oatmeal"},
		{"compound", "Crunchberry"},
		{"unknown", "Blorptastic Frobnicated Zzyzx"},
		{"list", "Navy & White"},
	} {
		b.Run(bc.tier, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rs := m.ResolveAll(bc.name); len(rs) == 0 {
					b.Fatal("nothing")
				}
			}
		})
	}
}
