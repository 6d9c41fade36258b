package preview

import (
	"slices"
	"strings"
	"testing"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
)

// TestSuggestionsHandler: through the whole handler, a mistyped name
// nothing knows ("Lavendar") and one read from a colour word it contains
// ("Navvy Blue" as Blue) say "Did you mean …?" and carry the map's names in
// "suggestions", with the text to replace in "mistyped"; a name a public
// list knows as written ("Pewter"), one read whole ("Navy Heather") and a
// name nothing is near ("Blorptastic") suggest nothing. In a name listing
// colours the part is what is mistyped. The suggestions come from the map
// the request used: the draft's names, not the live map's.
func TestSuggestionsHandler(t *testing.T) {
	path := mapFile(t, defaultText())
	s := newServer(t, Config{ColormapFile: path, AdminToken: "t"})
	data := readPhoto(t, testPhoto)
	post := func(names string, draft ...string) (Response, string) {
		t.Helper()
		values := [][2]string{{"colors", names}}
		for _, d := range draft {
			values = append(values, [2]string{"colormap", d})
		}
		rec := postForm(t, s, form{file: "p.jpg", data: data, values: values})
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", names, rec.Code, rec.Body)
		}
		return decode[Response](t, rec), rec.Body.String()
	}
	byName := func(r Response) map[string]Warning {
		ws := map[string]Warning{}
		for _, w := range r.Warnings {
			switch w.Kind {
			case "modifier", "head", "vocabulary", "unknown":
				ws[w.Names[0]] = w
			default:
				if len(w.Suggestions) > 0 || w.Mistyped != "" {
					t.Errorf("a %s warning suggests %q for %q", w.Kind, w.Suggestions, w.Mistyped)
				}
			}
		}
		return ws
	}

	r, body := post("Lavendar|Navvy Blue|Pewter|Navy Heather|Blorptastic")
	ws := byName(r)
	want := map[string]struct {
		kind, mistyped string
		suggestions    []string
		says           string
	}{
		"Lavendar":     {"unknown", "Lavendar", []string{"Lavender"}, `Did you mean “Lavender”? Otherwise, add it to the colour map.`},
		"Navvy Blue":   {"head", "Navvy Blue", []string{"Navy Blue"}, `it was read as "Blue" (left out: "navvy"). Did you mean “Navy Blue”? Otherwise, check the swatch colour, or add "Navvy Blue" to the colour map.`},
		"Pewter":       {"vocabulary", "", nil, `Such a list may mean another shade than the catalog`},
		"Navy Heather": {"head", "", nil, `Check the swatch colour`},
		"Blorptastic":  {"unknown", "", nil, `Add it to the colour map.`},
	}
	for name, w := range want {
		got, ok := ws[name]
		if !ok {
			t.Errorf("no warning for %q: %+v", name, r.Warnings)
			continue
		}
		if got.Kind != w.kind || got.Mistyped != w.mistyped || !slices.Equal(got.Suggestions, w.suggestions) || !strings.Contains(got.Message, w.says) {
			t.Errorf("%q: kind %q, mistyped %q, suggestions %q, message %q;\nwant %q, %q, %q, saying %q", name, got.Kind, got.Mistyped, got.Suggestions, got.Message, w.kind, w.mistyped, w.suggestions, w.says)
		}
		if w.suggestions == nil && strings.Contains(got.Message, "Did you mean") {
			t.Errorf("%q asks %q", name, got.Message)
		}
		if got.Add == nil || got.Add.Name != name {
			t.Errorf("%q: add %+v, want the name still offered", name, got.Add)
		}
	}
	// The JSON, as the page reads it.
	for _, f := range []string{`"suggestions":["Lavender"],"mistyped":"Lavendar"`, `"suggestions":["Navy Blue"],"mistyped":"Navvy Blue"`} {
		if !strings.Contains(body, f) {
			t.Errorf("JSON lacks %s", f)
		}
	}
	if n := strings.Count(body, `"suggestions":`); n != 2 {
		t.Errorf("%d warnings with suggestions, want 2", n)
	}

	// In a list the part is mistyped; the message says which name.
	r, _ = post("Navy & Lavendar")
	w := byName(r)["Navy & Lavendar"]
	if w.Kind != "unknown" || w.Mistyped != "Lavendar" || !slices.Equal(w.Suggestions, []string{"Lavender"}) ||
		!strings.HasPrefix(w.Message, `In "Navy & Lavendar": Nothing knows "Lavendar"`) || !strings.Contains(w.Message, "Did you mean “Lavender”?") {
		t.Errorf("Navy & Lavendar: %+v", w)
	}

	// The draft's names: a name only the draft has is suggested, and the
	// live map's are not.
	r, _ = post("Blorptastic", defaultText()+"Blorptastik: #123456\n")
	if w := byName(r)["Blorptastic"]; r.Colormap != "draft" || !slices.Equal(w.Suggestions, []string{"Blorptastik"}) {
		t.Errorf("with a draft that has Blorptastik: %s map, suggestions %q", r.Colormap, w.Suggestions)
	}
	r, _ = post("Lavendar", "Red: #FF0000\nLavendr: #E6E6FA\n")
	if w := byName(r)["Lavendar"]; !slices.Equal(w.Suggestions, []string{"Lavendr"}) || !strings.Contains(w.Message, "“Lavendr”") {
		t.Errorf("with a draft that has Lavendr, not Lavender: suggestions %q, message %q", w.Suggestions, w.Message)
	}
	if w := byName(decode[Response](t, postForm(t, s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Blorptastic"}}})))["Blorptastic"]; len(w.Suggestions) != 0 {
		t.Errorf("the live map suggests %q for Blorptastic", w.Suggestions)
	}
}

// TestSuggestionRules: which names of the default map a name read each
// way suggests. An unknown name gets what colormap.Suggest gives (up to
// MaxSuggestions); a name read from some of its words only a name that
// corrects a word left out by one typing mistake and keeps the rest, so
// real colour names that are a few letters from a map name suggest
// nothing.
func TestSuggestionRules(t *testing.T) {
	m := colormap.Default()
	for name, want := range map[string][]string{
		// unknown
		"Lavendar": {"Lavender"}, "Fuschia": {"Fuchsia"}, "Grye": {"Grey"}, "Dark Grren": {"Dark Green", "Dark Grey"},
		"Heather Gery": {"Heather Grey"}, "Blorptastic": nil,
		// head, a word left out that is a typo
		"Navvy Blue": {"Navy Blue"}, "Navy Blu": {"Navy Blue"}, "Charcaol Grey": {"Charcoal Grey"},
		"Oilve Green": {"Olive Green"}, "Olive Gren": {"Olive Green"}, "Royl Blue": {"Royal Blue"}, "Tuquoise Blue": {"Turquoise Blue"},
		// head and vocabulary names that are no typo
		"Storm Grey": nil, "Stone Grey": nil, "Safety Green": nil, "Iron Grey": nil, "Navy Heather": nil,
		"Heather Navy": nil, "Black Heather": nil, "Marled Grey": nil, "Pewter": nil, "Toffee": nil, "Latte": nil,
		"Pine": nil, "Butter": nil, "Coral Silk": nil, "Rosewood": nil, "Crunchberry": nil,
		// exact and modifier
		"Navy Blue": nil, "Dusty Blue": nil, "Ice Blue": nil,
	} {
		rs := m.ResolveAll(name)
		if len(rs) != 1 {
			t.Fatalf("%q has %d parts", name, len(rs))
		}
		r := rs[0]
		p := palette.Pick{Name: name, Via: r.Via.String(), Resolved: r.Name, Dropped: r.Dropped}
		if got := suggestions(m, p); !slices.Equal(got, want) {
			t.Errorf("%q (%s %q, left out %q) suggests %q, want %q", name, p.Via, p.Resolved, p.Dropped, got, want)
		}
	}
	if got := suggestions(nil, palette.Pick{Name: "Lavendar", Via: "unknown"}); got != nil {
		t.Errorf("no map suggests %q", got)
	}
}

func TestOneEdit(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"navvy", "navy", true}, {"navy", "navvy", true}, {"blu", "blue", true}, {"gren", "green", true},
		{"charcaol", "charcoal", true}, {"oilve", "olive", true}, {"grye", "grey", true}, {"lavendar", "lavender", true},
		{"navy", "navy", false}, {"storm", "sport", false}, {"safety", "sage", false}, {"navvy", "baby", false},
		{"ab", "ba", true}, {"abc", "bca", false}, {"", "a", true}, {"", "", false}, {"grün", "grun", true},
	} {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
