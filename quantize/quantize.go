// Package quantize reduces an image to at most N colours and counts them.
//
// The method: a histogram of the opaque pixels on a 5-bit-per-channel grid
// (each cell keeps the exact mean of its pixels); a greedy split of that
// histogram in CIELAB, always cutting the box with the largest squared error
// along its widest axis at the point that minimises the error of the two
// halves, so a small but distinct colour gets its own box instead of being
// merged into a large one; then a few weighted k-means passes in Lab. Each
// palette colour is the mean sRGB colour of the pixels assigned to it: a shade
// that occurs in the photo, not an artefact of the grid.
//
// Results are deterministic: the same pixels give the same palette, in the
// same order, on every run.
package quantize

import (
	"cmp"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
)

// Defaults for the zero Quantizer.
const (
	DefaultColors = 16 // palette size
	DefaultRefine = 3  // k-means passes in Lab
	// MaxColors is the largest palette: 255, leaving one index of the
	// result's paletted image for transparent pixels.
	MaxColors = 255
)

// OpaqueAlpha is the alpha (0–255, non-premultiplied) below which a pixel is
// not counted: transparent pixels are not part of the product.
const OpaqueAlpha = 128

// Quantizer builds palettes. Its zero value uses the defaults. A Quantizer is
// safe for concurrent use.
type Quantizer struct {
	// Colors is the largest palette to build, 1 to MaxColors; 0 means
	// DefaultColors. Larger values are clamped to MaxColors.
	Colors int
	// Refine is the number of k-means passes in Lab after the split; 0 means
	// DefaultRefine and a negative value means none.
	Refine int
}

var _ draw.Quantizer = (*Quantizer)(nil)

// Quantize implements draw.Quantizer: it appends to p up to cap(p)-len(p)
// colours (q.Colors when p has no spare capacity) that represent m. The
// image is read through its generic At method; for speed, pass an
// *image.NRGBA to Histogram instead.
func (q *Quantizer) Quantize(p color.Palette, m image.Image) color.Palette {
	n := cap(p) - len(p)
	if n <= 0 {
		n = q.colors()
	}
	nrgba, ok := m.(*image.NRGBA)
	if !ok {
		b := m.Bounds()
		nrgba = image.NewNRGBA(b)
		draw.Draw(nrgba, b, m, b.Min, draw.Src)
	}
	qq := Quantizer{Colors: n, Refine: q.Refine}
	r := qq.Histogram(nrgba)
	for _, c := range r.Colors {
		p = append(p, c.Color)
	}
	return p
}

// Color is one palette entry and the number of pixels it stands for.
type Color struct {
	Color color.NRGBA
	Count int
}

// Result is a quantized image: the palette, the pixel counts, and the index
// of every pixel.
type Result struct {
	// Colors is the palette, most frequent first (ties: darker first).
	Colors []Color
	// Total is the number of opaque pixels, the sum of the counts.
	Total int
	// Image has one palette index per pixel of the input, with the input's
	// bounds. Its palette is Colors, followed by a transparent entry when
	// some pixel was not opaque; such pixels use that last index.
	Image *image.Paletted
}

// Share is the fraction of the opaque pixels that colour i stands for.
func (r *Result) Share(i int) float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Colors[i].Count) / float64(r.Total)
}

// Histogram quantizes the opaque pixels of m (alpha ≥ OpaqueAlpha) into at
// most q.Colors colours. An image with no opaque pixel gives an empty
// palette and Total 0.
func (q *Quantizer) Histogram(m *image.NRGBA) *Result {
	h := newGrid()
	h.add(m)
	cells := h.cells

	boxes := split(cells, q.colors())
	centroids := make([]vec, len(boxes))
	for i, b := range boxes {
		centroids[i] = b.mean
	}
	for range q.refine() {
		if !kmeans(cells, centroids) {
			break
		}
	}
	assign(cells, centroids)

	// Palette colours: the mean sRGB of the pixels in each cluster.
	type acc struct {
		n       int
		r, g, b uint64
	}
	accs := make([]acc, len(centroids))
	for _, c := range cells {
		a := &accs[c.cluster]
		a.n += c.n
		a.r += c.sum[0]
		a.g += c.sum[1]
		a.b += c.sum[2]
	}
	type entry struct {
		cluster int
		c       Color
	}
	entries := make([]entry, 0, len(accs))
	for i, a := range accs {
		if a.n > 0 {
			entries = append(entries, entry{i, Color{
				Color: color.NRGBA{R: div(a.r, a.n), G: div(a.g, a.n), B: div(a.b, a.n), A: 255},
				Count: a.n,
			}})
		}
	}
	slices.SortStableFunc(entries, func(x, y entry) int {
		if c := cmp.Compare(y.c.Count, x.c.Count); c != 0 {
			return c
		}
		return cmp.Compare(luma(x.c.Color), luma(y.c.Color))
	})
	res := &Result{Colors: make([]Color, len(entries))}
	toIndex := make([]uint8, len(accs))
	for i, e := range entries {
		res.Colors[i] = e.c
		res.Total += e.c.Count
		toIndex[e.cluster] = uint8(i)
	}
	// Map every cell to its palette index, then every pixel.
	for _, c := range cells {
		h.slot[c.key] = uint16(toIndex[c.cluster])
	}
	res.Image = h.paletted(m, res.Colors)
	return res
}

func (q *Quantizer) colors() int {
	switch {
	case q == nil || q.Colors <= 0:
		return DefaultColors
	case q.Colors > MaxColors:
		return MaxColors
	}
	return q.Colors
}

func (q *Quantizer) refine() int {
	switch {
	case q == nil || q.Refine == 0:
		return DefaultRefine
	case q.Refine < 0:
		return 0
	}
	return q.Refine
}

func div(sum uint64, n int) uint8 { return uint8((sum + uint64(n)/2) / uint64(n)) }

func luma(c color.NRGBA) int { return 299*int(c.R) + 587*int(c.G) + 114*int(c.B) }

// vec is a Lab colour on the standard scale (L 0–100).
type vec [3]float64

func dist2(a, b vec) float64 {
	d0, d1, d2 := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return d0*d0 + d1*d1 + d2*d2
}

// cell is one occupied cell of the 5-bit grid.
type cell struct {
	lab     vec // Lab of the cell's mean colour
	n       int
	sum     [3]uint64 // sums of the 8-bit sRGB components
	cluster int32
	key     uint16
}

const gridSize = 1 << 15

// grid is the histogram on a 5-bit-per-channel grid: slot maps a grid key
// to 1 + the index of its cell (0: empty), and later to the palette index.
type grid struct {
	slot  []uint16
	cells []cell
}

func newGrid() *grid {
	return &grid{slot: make([]uint16, gridSize), cells: make([]cell, 0, 2048)}
}

func key(r, g, b uint8) uint16 {
	return uint16(r>>3)<<10 | uint16(g>>3)<<5 | uint16(b>>3)
}

// add counts the opaque pixels of m. Cells are created in the order their
// colours first occur, so the result is deterministic.
func (h *grid) add(m *image.NRGBA) {
	b := m.Bounds()
	w := b.Dx() * 4
	slot := h.slot[:gridSize]
	for y := 0; y < b.Dy(); y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		for i := 0; i+3 < len(row); i += 4 {
			if row[i+3] < OpaqueAlpha {
				continue
			}
			r, g, bl := row[i], row[i+1], row[i+2]
			k := key(r, g, bl)
			s := slot[k]
			if s == 0 {
				h.cells = append(h.cells, cell{key: k})
				s = uint16(len(h.cells))
				slot[k] = s
			}
			c := &h.cells[s-1]
			c.n++
			c.sum[0] += uint64(r)
			c.sum[1] += uint64(g)
			c.sum[2] += uint64(bl)
		}
	}
	for i := range h.cells {
		c := &h.cells[i]
		f := 1 / float64(c.n)
		c.lab = lab(float64(c.sum[0])*f, float64(c.sum[1])*f, float64(c.sum[2])*f)
	}
}

// paletted builds the index image of m from the cell → colour table.
func (h *grid) paletted(m *image.NRGBA, colors []Color) *image.Paletted {
	pal := make(color.Palette, len(colors), len(colors)+1)
	for i, c := range colors {
		pal[i] = c.Color
	}
	b := m.Bounds()
	out := image.NewPaletted(b, pal)
	clear := uint8(len(colors))
	transparent := false
	w := b.Dx()
	for y := 0; y < b.Dy(); y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w*4]
		dst := out.Pix[y*out.Stride : y*out.Stride+w]
		for x := range dst {
			i := x * 4
			if row[i+3] < OpaqueAlpha {
				dst[x] = clear
				transparent = true
				continue
			}
			dst[x] = uint8(h.slot[key(row[i], row[i+1], row[i+2])])
		}
	}
	if transparent {
		out.Palette = append(out.Palette, color.NRGBA{})
	}
	return out
}

// box is a set of cells considered for splitting.
type box struct {
	cells []cell // a sub-slice of the shared cell list
	n     int
	mean  vec
	sse   float64 // weighted squared error around mean
}

func newBox(cs []cell) box {
	b := box{cells: cs}
	var s vec
	for _, c := range cs {
		b.n += c.n
		w := float64(c.n)
		s[0] += w * c.lab[0]
		s[1] += w * c.lab[1]
		s[2] += w * c.lab[2]
	}
	if b.n == 0 {
		return b
	}
	w := float64(b.n)
	b.mean = vec{s[0] / w, s[1] / w, s[2] / w}
	for _, c := range cs {
		b.sse += float64(c.n) * dist2(c.lab, b.mean)
	}
	return b
}

// split divides the cells into at most k boxes, each time cutting the box
// with the largest squared error. It reorders cells in place.
func split(cells []cell, k int) []box {
	if len(cells) == 0 {
		return nil
	}
	boxes := []box{newBox(cells)}
	for len(boxes) < k {
		worst := -1
		for i, b := range boxes {
			if len(b.cells) > 1 && b.sse > 0 && (worst < 0 || b.sse > boxes[worst].sse) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		lo, hi := cut(boxes[worst])
		boxes[worst] = lo
		boxes = append(boxes, hi)
	}
	return boxes
}

// cut splits b along its axis of largest variance at the point that
// minimises the summed squared error of the two halves along that axis. The
// axis is divided into cutBins bins, so a cut costs linear time; cells are
// partitioned in place.
func cut(b box) (box, box) {
	var v vec
	lo, hi := vec{math.Inf(1), math.Inf(1), math.Inf(1)}, vec{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, c := range b.cells {
		for a := range 3 {
			d := c.lab[a] - b.mean[a]
			v[a] += float64(c.n) * d * d
			lo[a] = min(lo[a], c.lab[a])
			hi[a] = max(hi[a], c.lab[a])
		}
	}
	axis := 0
	if v[1] > v[axis] {
		axis = 1
	}
	if v[2] > v[axis] {
		axis = 2
	}
	var w, s [cutBins]float64
	scale := (cutBins - 1) / (hi[axis] - lo[axis])
	bin := func(c *cell) int { return int((c.lab[axis] - lo[axis]) * scale) }
	var totalW, total float64
	for i := range b.cells {
		c := &b.cells[i]
		k := bin(c)
		w[k] += float64(c.n)
		s[k] += float64(c.n) * c.lab[axis]
		totalW += float64(c.n)
		total += float64(c.n) * c.lab[axis]
	}
	// The cut that maximises the between-group variance is the one that
	// minimises the within-group error.
	best, bestAt := -1.0, 1
	var sw, ss float64
	for k := 0; k < cutBins-1; k++ {
		sw += w[k]
		ss += s[k]
		if w[k] == 0 || sw == totalW {
			continue
		}
		rs := total - ss
		if score := ss*ss/sw + rs*rs/(totalW-sw); score > best {
			best, bestAt = score, k+1
		}
	}
	// Partition: cells in bins below bestAt first.
	i, j := 0, len(b.cells)-1
	for i <= j {
		if bin(&b.cells[i]) < bestAt {
			i++
			continue
		}
		b.cells[i], b.cells[j] = b.cells[j], b.cells[i]
		j--
	}
	if i == 0 || i == len(b.cells) {
		// all cells in one bin: split the slice in half by value
		slices.SortFunc(b.cells, func(x, y cell) int {
			if c := cmp.Compare(x.lab[axis], y.lab[axis]); c != 0 {
				return c
			}
			return cmp.Compare(x.key, y.key)
		})
		i = len(b.cells) / 2
	}
	return newBox(b.cells[:i]), newBox(b.cells[i:])
}

const cutBins = 256

// assign sets every cell's cluster to its nearest centroid.
func assign(cells []cell, centroids []vec) (changed bool) {
	for i := range cells {
		c := &cells[i]
		l0, l1, l2 := c.lab[0], c.lab[1], c.lab[2]
		best, bestD := 0, math.Inf(1)
		for j := range centroids {
			m := &centroids[j]
			d0 := l0 - m[0]
			d := d0 * d0
			if d >= bestD {
				continue
			}
			d1, d2 := l1-m[1], l2-m[2]
			if d += d1*d1 + d2*d2; d < bestD {
				best, bestD = j, d
			}
		}
		if int(c.cluster) != best {
			c.cluster = int32(best)
			changed = true
		}
	}
	return changed
}

// kmeans runs one weighted k-means pass and reports whether any cell moved.
// Centroids that lose all their cells keep their position.
func kmeans(cells []cell, centroids []vec) bool {
	changed := assign(cells, centroids)
	sums := make([]vec, len(centroids))
	ws := make([]float64, len(centroids))
	for _, c := range cells {
		w := float64(c.n)
		s := &sums[c.cluster]
		s[0] += w * c.lab[0]
		s[1] += w * c.lab[1]
		s[2] += w * c.lab[2]
		ws[c.cluster] += w
	}
	for j := range centroids {
		if ws[j] > 0 {
			centroids[j] = vec{sums[j][0] / ws[j], sums[j][1] / ws[j], sums[j][2] / ws[j]}
		}
	}
	return changed
}
