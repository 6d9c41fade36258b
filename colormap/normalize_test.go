package colormap

import (
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Navy-Blue ", "navy blue"},
		{"Navy Blue", "navy blue"},
		{"NAVY\tBLUE", "navy blue"},
		{"navy   blue", "navy blue"},
		{"Off_White", "off white"},
		{"off-white", "off white"},
		{"Offwhite", "offwhite"},
		{"Gray", "grey"},
		{"Grayish Blue", "greyish blue"},
		{"darkslategray", "darkslategrey"},
		{"Red Colour", "red color"},
		{"Multicolour", "multicolor"},
		{"Multi-Coloured", "multi colored"},
		{"Black/White", "black white"},
		{"Lt. Blue", "lt blue"},
		{"Robin's Egg Blue", "robins egg blue"},
		{"Robin’s Egg Blue", "robins egg blue"},
		{"Blue\u00a0Grey", "blue grey"},
		{"", ""},
		{" - _ / ", ""},
		{"Grey|Pink", "grey|pink"},
		{"CAFÉ", "café"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Normalize(Normalize(tt.in)); got != tt.want {
			t.Errorf("Normalize is not idempotent on %q: %q", tt.in, got)
		}
	}
}

func TestKeyIgnoresSpaces(t *testing.T) {
	for _, pair := range [][2]string{
		{"Off White", "offwhite"},
		{"Dark Slate Gray", "darkslategrey"},
		{"Light-Goldenrod Yellow", "lightgoldenrodyellow"},
		{"Multi Colour", "Multicolor"},
	} {
		if key(pair[0]) != key(pair[1]) {
			t.Errorf("key(%q) = %q != key(%q) = %q", pair[0], key(pair[0]), pair[1], key(pair[1]))
		}
	}
}

func TestSplitNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Grey|Pink", []string{"Grey", "Pink"}},
		{" Navy Blue , White ", []string{"Navy Blue", "White"}},
		{"Red||,|", []string{"Red"}},
		{"", nil},
		{" | , ", nil},
	} {
		if got := SplitNames(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("SplitNames(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
