package colormap

import (
	"image/color"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// withVocabulary replaces the open vocabulary for one test.
func withVocabulary(t *testing.T, entries map[string]vocabEntry) {
	t.Helper()
	old := vocabLookup
	vocabLookup = func(k string) (vocabEntry, bool) {
		e, ok := entries[k]
		return e, ok
	}
	t.Cleanup(func() { vocabLookup = old })
}

var oatmeal = color.NRGBA{R: 0xD9, G: 0xCB, B: 0xB1, A: 255}

func fakeVocabulary(t *testing.T) {
	withVocabulary(t, map[string]vocabEntry{
		"oatmeal":         {name: "Oatmeal", shades: []color.NRGBA{oatmeal}, source: "xkcd"},
		"navy":            {name: "Navy", shades: []color.NRGBA{{R: 0, G: 0, B: 0x80, A: 255}}, source: "color-name-list"},
		"storm":           {name: "Storm", shades: []color.NRGBA{{R: 0x44, G: 0x4C, B: 0x55, A: 255}}, source: "color-name-list"},
		"18thcentury":     {name: "18th Century", shades: []color.NRGBA{{R: 1, G: 2, B: 3, A: 255}}, source: "color-name-list"},
		"saltandpepper":   {name: "Salt and Pepper", shades: []color.NRGBA{{R: 0x80, G: 0x80, B: 0x80, A: 255}}, source: "color-name-list"},
		"cookies":         {name: "Cookies", shades: []color.NRGBA{{R: 0x9A, G: 0x6B, B: 0x45, A: 255}}, source: "color-name-list"},
		"cookiesandcream": {name: "Cookies and Cream", shades: []color.NRGBA{{R: 0xEE, G: 0xE0, B: 0xB1, A: 255}}, source: "color-name-list"},
		"blackcherry":     {name: "Black Cherry", shades: []color.NRGBA{{R: 0x2C, G: 0x16, B: 0x20, A: 255}}, source: "color-name-list"},
		"pale":            {name: "Pale", shades: []color.NRGBA{{R: 0xFF, G: 0xF9, B: 0xD0, A: 255}}, source: "xkcd"},
	})
}

func TestResolveHead(t *testing.T) {
	withVocabulary(t, nil)
	m := smallMap(t)
	tests := []struct {
		q, name string
		dropped []string
	}{
		{"Iron Grey", "Grey", []string{"iron"}},
		{"Storm Cloud Navy", "Navy Blue", []string{"storm", "cloud"}},
		{"Foo Blue Bar", "Blue", []string{"foo", "bar"}},
		{"Fooish Blue", "Blue", []string{"fooish"}},
		{"Light Storm Blue", "Light Blue", []string{"storm"}}, // what is left is composed
		{"Midnight Navy Blue", "Navy Blue", []string{"midnight"}},
		{"Sport Light Grey", "Light Grey", []string{"sport"}}, // the longest entry
	}
	for _, tt := range tests {
		r := mustResolve(t, m, tt.q)
		if r.Via != Head || r.Name != tt.name || !slices.Equal(r.Dropped, tt.dropped) || r.Query != tt.q {
			t.Errorf("Resolve(%q) = %q via %v dropped %q, want %q via head dropped %q", tt.q, r.Name, r.Via, r.Dropped, tt.name, tt.dropped)
		}
	}
	// Two known colours around an unknown word: the known words are
	// composed as a whole ("Red Storm Yellow" is "Red Yellow").
	r := mustResolve(t, m, "Red Storm Yellow")
	if r.Via != Head || r.Name != "Red Yellow" {
		t.Errorf("Red Storm Yellow = %q via %v", r.Name, r.Via)
	}
	// Head shades are the known colour's.
	g := mustResolve(t, m, "Grey")
	if r := mustResolve(t, m, "Iron Grey"); !reflect.DeepEqual(r.Shades, g.Shades) {
		t.Errorf("Iron Grey shades %v, want Grey's %v", r.Shades, g.Shades)
	}
}

func TestResolveFinishes(t *testing.T) {
	withVocabulary(t, nil)
	m := smallMap(t)
	navy := mustResolve(t, m, "Navy")
	for _, q := range []string{"Navy Heather", "Heather Navy", "Navy Melange", "Navy Marl", "Navy (Heather)", "Navy Tri-Blend"} {
		r := mustResolve(t, m, q)
		if r.Via != Head || !strings.HasSuffix(r.Name, "Navy Blue") || len(r.Dropped) != 0 {
			t.Errorf("%q = %q via %v dropped %q", q, r.Name, r.Via, r.Dropped)
			continue
		}
		// A heather is lighter and greyer than the dye.
		if meanL(r.Shades) <= meanL(navy.Shades)+3 {
			t.Errorf("%q L* %.1f not lighter than Navy's %.1f", q, meanL(r.Shades), meanL(navy.Shades))
		}
		for i := range r.Shades {
			if chroma(r.Shades[i]) >= chroma(navy.Shades[i]) {
				t.Errorf("%q shade %d chroma %.1f not below Navy's %.1f", q, i, chroma(r.Shades[i]), chroma(navy.Shades[i]))
			}
		}
	}
	red := mustResolve(t, m, "Red")
	for _, q := range []string{"Washed Red", "Vintage Red", "Red Acid Wash", "Garment-Dyed Red", "Faded Red"} {
		r := mustResolve(t, m, q)
		if r.Via != Head || meanL(r.Shades) <= meanL(red.Shades) {
			t.Errorf("%q = %q via %v, L* %.1f, Red's %.1f", q, r.Name, r.Via, meanL(r.Shades), meanL(red.Shades))
		}
	}
	// A finish said twice counts once.
	if a, b := mustResolve(t, m, "Heather Heather Navy"), mustResolve(t, m, "Heather Navy"); !reflect.DeepEqual(a.Shades, b.Shades) {
		t.Errorf("Heather Heather Navy %v, Heather Navy %v", a.Shades, b.Shades)
	}
	// "Antique" is deeper: darker than the colour.
	if r := mustResolve(t, m, "Antique Red"); r.Via != Head || meanL(r.Shades) >= meanL(red.Shades) {
		t.Errorf("Antique Red = %q via %v, L* %.1f, Red's %.1f", r.Name, r.Via, meanL(r.Shades), meanL(red.Shades))
	}
	// A finish word next to a map name that is also a colour ("Heather" is
	// heather grey in many maps) is a finish, not a blend with grey.
	mh, err := m.With(Entry{Name: "Heather", Shades: []color.NRGBA{{R: 0xB5, G: 0xB5, B: 0xB5}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Heather Red", "Red Heather"} {
		if r := mustResolve(t, mh, q); r.Via != Head || r.Name != "Heather Red" {
			t.Errorf("%q = %q via %v, want a heathered Red", q, r.Name, r.Via)
		}
	}
	if r := mustResolve(t, mh, "Heather"); r.Via != Exact {
		t.Errorf("Heather alone = %+v", r)
	}

	// Words that say nothing about the shade are dropped without a shift.
	for _, q := range []string{"True Navy", "Solid Red", "Classic Navy Blue"} {
		r := mustResolve(t, m, q)
		want := mustResolve(t, m, strings.Fields(q)[1])
		if r.Via != Head || r.Name != want.Name || !reflect.DeepEqual(r.Shades, want.Shades) {
			t.Errorf("%q = %q via %v %v, want %q's shades", q, r.Name, r.Via, r.Shades, want.Name)
		}
	}
}

func TestResolveForms(t *testing.T) {
	withVocabulary(t, nil)
	m := smallMap(t)
	tests := []struct{ q, same string }{
		{"Blue (Light)", "Light Blue"},
		{"Blue [light]", "Light Blue"},
		{"Light-Blue", "Light Blue"},
		{"LIGHT_BLUE", "Light Blue"},
		{"  *Navy*!! ", "Navy"},
		{`"Red"`, "Red"},
		{"Red 040", "Red"},
		{"Red #040", "Red"},
		{"Navy Blue - 2XL", "Navy Blue"},
		{"Red XL", "Red"},
		{"Red (S)", "Red"},
		{"Khaki C12", "Khaki"},
		{"Grey (Heather)", "Heather Grey"},
	}
	for _, tt := range tests {
		got, want := mustResolve(t, m, tt.q), mustResolve(t, m, tt.same)
		if got.Name != want.Name || got.Via != want.Via || !reflect.DeepEqual(got.Shades, want.Shades) {
			t.Errorf("Resolve(%q) = %q %v %v, want %q %v %v", tt.q, got.Name, got.Via, got.Shades, want.Name, want.Via, want.Shades)
		}
	}
	// A name that is only a code or a size is not a colour.
	for _, q := range []string{"040", "XL", "()", "!!"} {
		if rs := m.ResolveAll(q); len(rs) != 1 || rs[0].Via != Unknown {
			t.Errorf("ResolveAll(%q) = %+v, want one unknown", q, rs)
		}
	}
}

func TestResolveAll(t *testing.T) {
	withVocabulary(t, nil)
	m := smallMap(t)
	names := func(rs []Resolved) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Via.String()+":"+r.Name)
		}
		return out
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"Navy & Red", []string{"alias:Navy Blue", "exact:Red"}},
		{"Red and Blue", []string{"exact:Red", "exact:Blue"}},
		{"Red/Blue", []string{"exact:Red", "exact:Blue"}},
		{"Red + Light Grey", []string{"exact:Red", "exact:Light Grey"}},
		{"Navy with Red", []string{"alias:Navy Blue", "exact:Red"}},
		{"Grey|Blorptastic|Red", []string{"exact:Grey", "unknown:", "exact:Red"}},
		{"Light/Dark Grey", []string{"modifier:Light Dark Grey"}}, // one colour, not two
		{"Navy & Blorptastic", []string{"alias:Navy Blue", "unknown:"}},
		{"Red (Navy Trim)", []string{"exact:Red"}}, // a note about another part
		{"(Red)", []string{"exact:Red"}},
		{"Blue (Light) / Iron Grey", []string{"modifier:Light Blue", "head:Grey"}},
		{"Blorptastic", []string{"unknown:"}},
		{"Red/Blue/Grey/Green/Khaki", []string{"unknown:"}}, // more than MaxParts
		{"   ", nil},
	}
	for _, tt := range tests {
		rs := m.ResolveAll(tt.q)
		if got := names(rs); !slices.Equal(got, tt.want) {
			t.Errorf("ResolveAll(%q) = %q, want %q", tt.q, got, tt.want)
		}
		for _, r := range rs {
			if r.Query != tt.q {
				t.Errorf("ResolveAll(%q): Query %q", tt.q, r.Query)
			}
			if (len(rs) > 1) != (r.Part != "") {
				t.Errorf("ResolveAll(%q): Part %q", tt.q, r.Part)
			}
			if (r.Via == Unknown) != (len(r.Shades) == 0 && r.Kind == Shades) {
				t.Errorf("ResolveAll(%q): %+v", tt.q, r)
			}
		}
	}
	// A name the map has as written is never split.
	m2, err := m.With(Entry{Name: "Salt & Pepper", Shades: []color.NRGBA{{R: 0x88, G: 0x88, B: 0x88}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(m2.ResolveAll("salt & pepper")); !slices.Equal(got, []string{"exact:Salt & Pepper"}) {
		t.Errorf("Salt & Pepper in the map = %q", got)
	}
}

func TestResolveVocabulary(t *testing.T) {
	fakeVocabulary(t)
	m := smallMap(t)
	r := mustResolve(t, m, "oatmeal")
	if r.Via != Vocabulary || r.Name != "Oatmeal" || r.Source != "xkcd" || !slices.Equal(r.Shades, []color.NRGBA{oatmeal}) {
		t.Errorf("Oatmeal = %+v", r)
	}
	// Finish words shift a vocabulary shade too.
	r = mustResolve(t, m, "Vintage Oatmeal")
	if r.Via != Vocabulary || r.Name != "Vintage Oatmeal" || cieL(r.Shades[0]) <= cieL(oatmeal) {
		t.Errorf("Vintage Oatmeal = %+v", r)
	}
	// The longest run of words the vocabulary has, trailing first.
	r = mustResolve(t, m, "Pacific Oatmeal")
	if r.Via != Vocabulary || r.Name != "Oatmeal" || !slices.Equal(r.Dropped, []string{"pacific"}) {
		t.Errorf("Pacific Oatmeal = %+v", r)
	}
	r = mustResolve(t, m, "Oatmeal Frost Dream")
	if r.Via != Vocabulary || r.Name != "Oatmeal" || !slices.Equal(r.Dropped, []string{"frost", "dream"}) {
		t.Errorf("Oatmeal Frost Dream = %+v", r)
	}
	// Digits are part of a vocabulary name as written.
	if r := mustResolve(t, m, "18th Century"); r.Via != Vocabulary || r.Name != "18th Century" {
		t.Errorf("18th Century = %+v", r)
	}
	// The curated map always wins: "Navy" is the catalog's navy, not
	// the list's #000080, and a known colour word wins over the vocabulary.
	if r := mustResolve(t, m, "Navy"); r.Via != Alias || r.Name != "Navy Blue" {
		t.Errorf("Navy = %+v", r)
	}
	if r := mustResolve(t, m, "Storm Navy"); r.Via != Head || r.Name != "Navy Blue" {
		t.Errorf("Storm Navy = %+v", r)
	}
	// A list whose parts are not all known is read whole when the
	// vocabulary has the whole.
	if rs := m.ResolveAll("Salt and Pepper"); len(rs) != 1 || rs[0].Name != "Salt and Pepper" {
		t.Errorf("Salt and Pepper = %+v", rs)
	}
	if rs := m.ResolveAll("Oatmeal & Navy"); len(rs) != 2 || rs[0].Via != Vocabulary || rs[1].Via != Alias {
		t.Errorf("Oatmeal & Navy = %+v", rs)
	}
	// A whole name the lists know wins over reading a list whose parts
	// are not all the map's ("Cookies & Cream" is one colour); a list of
	// the map's colours is never read whole.
	if rs := m.ResolveAll("Cookies & Cream"); len(rs) != 1 || rs[0].Name != "Cookies and Cream" {
		t.Errorf("Cookies & Cream = %+v", rs)
	}
	// When the word the map does not know is the head of the phrase, a
	// name the lists have whole wins: "Black Cherry" is a cherry colour.
	if r := mustResolve(t, m, "Black Cherry"); r.Via != Vocabulary || r.Name != "Black Cherry" {
		t.Errorf("Black Cherry = %+v", r)
	}
	// "Pale/Light Blue" is one colour: a modifier is not a colour of its own.
	if rs := m.ResolveAll("Pale/Light Blue"); len(rs) != 1 || rs[0].Via != Modifier {
		t.Errorf("Pale/Light Blue = %+v", rs)
	}
}

// The real vocabulary behind the default map: partial matches never drop a
// word the map knows.
func TestResolveNeverDropsKnownWords(t *testing.T) {
	m := Default()
	for _, q := range []string{"Red/Blue/Grey/Green/Khaki", "Navy & White & Red & Blue & Grey"} {
		if rs := m.ResolveAll(q); len(rs) != 1 || rs[0].Via != Unknown {
			t.Errorf("ResolveAll(%q) = %+v, want unknown (more than MaxParts colours)", q, rs)
		}
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"Iron Grey", "Blue (Light)", "Navy & White", "Red and Black", "Black/White",
		"Red 040", "Navy Heather", "((((", "a/b/c/d/e", "Light Dark Pale Deep Blue", "\xff\xfe", "Grey|Pink",
		"Xish Yish Zish", "heather heather heather", strings.Repeat("blue ", 60)} {
		f.Add(s)
	}
	m := Default()
	f.Fuzz(func(t *testing.T, name string) {
		rs := m.ResolveAll(name)
		if strings.TrimSpace(name) == "" {
			if rs != nil {
				t.Fatalf("blank %q gave %+v", name, rs)
			}
			return
		}
		if len(rs) == 0 || len(rs) > MaxParts {
			t.Fatalf("ResolveAll(%q) gave %d parts", name, len(rs))
		}
		for _, r := range rs {
			if r.Query != name {
				t.Fatalf("Query %q, want %q", r.Query, name)
			}
			switch {
			case r.Via == Unknown:
				if len(r.Shades) != 0 || r.Name != "" {
					t.Fatalf("unknown with shades: %+v", r)
				}
			case r.Kind == Multi:
			case len(r.Shades) == 0:
				t.Fatalf("ResolveAll(%q): %v without shades", name, r.Via)
			}
			for _, c := range r.Shades {
				if c.A != 255 {
					t.Fatalf("shade %v not opaque", c)
				}
			}
		}
		if again := m.ResolveAll(name); !reflect.DeepEqual(again, rs) {
			t.Fatalf("ResolveAll(%q) not deterministic", name)
		}
		if _, err := m.Resolve(name); err == nil && (len(rs) != 1 || rs[0].Via == Unknown) {
			t.Fatalf("Resolve(%q) succeeded for %+v", name, rs)
		}
	})
}

func TestResolveCompound(t *testing.T) {
	fakeVocabulary(t)
	m := smallMap(t)
	tests := []struct {
		q, name string
		via     Via
		dropped string
	}{
		{"Stormblue", "Blue", Head, "storm"}, // the head of a compound is its end
		{"Greenish", "Green", Head, "ish"},   // a beginning the map knows
		{"Crunchoatmeal", "Oatmeal", Vocabulary, "crunch"},
	}
	for _, tt := range tests {
		r := mustResolve(t, m, tt.q)
		if r.Name != tt.name || r.Via != tt.via || !slices.Equal(r.Dropped, []string{tt.dropped}) {
			t.Errorf("%q = %q via %v dropped %q", tt.q, r.Name, r.Via, r.Dropped)
		}
	}
	// A colour part needs four letters, the rest three: "Hundred" is not
	// red, "Spartan" not tan.
	for _, q := range []string{"Reds", "Xred", "Blorptastic", "Hundred", "Covered", "Spartan", "Ashtray"} {
		if _, err := m.Resolve(q); err == nil {
			t.Errorf("%q resolved", q)
		}
	}
}

// Colour names from real apparel makers' colour cards: every one resolves
// through a tier of the default map and its vocabulary, none is unknown.
func TestApparelNames(t *testing.T) {
	m := Default()
	for _, q := range []string{
		"Ash Grey", "Cardinal Red", "Antique Cherry Red", "Garnet", "Royal", "Antique Sapphire",
		"Carolina Blue", "Indigo Blue", "Iris", "Irish Green", "Antique Irish Green", "Kelly Green",
		"Military Green", "Safety Green", "Electric Green", "Antique Orange", "Sunset", "Daisy",
		"Old Gold", "Vegas Gold", "Cornsilk", "Yellow Haze", "Azalea", "Safety Pink", "Coral Silk",
		"Heather Cardinal", "Heather Indigo", "Heather Navy", "Sport Grey", "Sport Dark Navy",
		"Sport Scarlet Red", "Army", "Asphalt", "Athletic Heather", "Autumn", "Berry",
		"Black Heather", "Dark Grey Heather", "Heather Dust", "Heather Midnight Navy",
		"Heather Prism Lilac", "Heather True Royal", "Kelly", "Leaf", "Ocean Blue", "Oxblood Black",
		"Soft Cream", "True Royal", "Bay", "Blossom", "Blue Jean", "Blue Spruce", "Brick", "Butter",
		"Chalky Mint", "Chambray", "Crunchberry", "Espresso", "Flo Blue", "Granite", "Grape",
		"Graphite", "Hemp", "Ice Blue", "Island Reef", "Lagoon Blue", "Midnight", "Moss",
		"Mystic Blue", "Paprika", "Pepper", "Seafoam", "Terracotta", "True Navy", "Washed Denim",
		"Watermelon", "Yam", "Iron Grey", "Storm Cloud Navy", "Navy Heather", "Charcoal Heather",
		"Oatmeal", "Cognac", "Walnut", "Stone", "Periwinkle", "Midnight Navy", "Dark Wash",
		"Washed Black", "Blue (Light)", "Natural", "Heather", "Salt & Pepper",
	} {
		for _, r := range m.ResolveAll(q) {
			if r.Via == Unknown {
				t.Errorf("%q is unknown", q)
			}
		}
	}
	// How some of them are read.
	for q, want := range map[string]string{
		"Iron Grey": "head:Grey", "Navy Heather": "head:Heather Navy Blue", "Dark Wash": "exact:Dark Wash",
		"Athletic Heather": "alias:Grey Melange", "True Royal": "head:Royal Blue", "Sport Grey": "alias:Grey Melange",
		"Washed Black": "head:Washed Black", "Antique Cherry Red": "head:Antique Red", "Kelly": "alias:Kelly Green",
		"Oatmeal": "exact:Oatmeal", "Oat Heather": "head:Heather Oatmeal", "Acid Wash": "exact:Acid Wash", "Cognac": "vocabulary:Cognac", "Periwinkle": "vocabulary:Periwinkle", "Blue (Light)": "exact:Light Blue",
		"Hundred": "unknown:", "Spartan": "unknown:", "Crunchberry": "vocabulary:Berry",
	} {
		rs := m.ResolveAll(q)
		if got := rs[0].Via.String() + ":" + rs[0].Name; len(rs) != 1 || got != want {
			t.Errorf("%q read as %q (%d parts), want %q", q, got, len(rs), want)
		}
	}
}

func TestSuggest(t *testing.T) {
	m := Default()
	tests := []struct {
		q    string
		want []string
	}{
		{"Navvy Blue", []string{"Navy Blue"}},
		{"Bluee", []string{"Blue"}},
		{"Grye", []string{"Grey"}}, // a swap
		{"Chacoal", []string{"Charcoal"}},
		{"Navy Blue", nil}, // known
		{"Blorptastic", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := m.Suggest(tt.q, 3)
		if len(tt.want) == 0 && len(got) != 0 || len(tt.want) > 0 && (len(got) == 0 || got[0] != tt.want[0]) {
			t.Errorf("Suggest(%q) = %q, want %q first", tt.q, got, tt.want)
		}
	}
	if got := m.Suggest("Bleu", 2); len(got) > 2 {
		t.Errorf("Suggest gave %d names, asked for 2", len(got))
	}
}
