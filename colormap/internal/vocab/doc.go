// Package vocab is an open vocabulary of about 32,000 colour names with sRGB
// shades, generated from public lists, behind the curated colour map.
//
// The curated map (package colormap) knows the words catalogs use and is
// edited by people; this vocabulary only answers for names the map does not
// know, so its shades are a fallback, not an authority.
//
// # Sources, most trusted first
//
//  1. xkcd (source "xkcd", about 950 names): the xkcd colour survey, in
//     which some 200,000 people named colours. It is the best evidence of
//     what a word means to a person. CC0.
//  2. ISCC-NBS (source "iscc-nbs", 267 names): the Inter-Society Color
//     Council / National Bureau of Standards colour designations, a
//     standard ("Moderate Yellowish Pink"). CC0.
//  3. color-name-list (source "color-name-list", about 31,900 names): a
//     large curated list, MIT; it has most of the words catalogs use
//     ("Oatmeal", "Cognac", "Espresso") but also many whimsical names
//     ("3AM Latte"), so it is trusted least.
//
// The xkcd and ISCC-NBS lists come from the npm package color-name-lists,
// color-name-list from the npm package of that name; LICENSES.md has the
// pinned versions, their integrity hashes and the licence texts.
//
// # Merging
//
// A name's key is colormap.Normalize(name) with all spaces removed, as for
// the colour map ("Iron Gray" and "iron-grey" are both "irongrey"); names
// with an empty key are skipped. Within one list a key that occurs twice
// keeps its first occurrence in file order, except that the xkcd list,
// which runs from the least to the most common name, is read backwards: of
// the 21 xkcd keys spelt two ways, such as "lightblue" and "light blue",
// the spelling (and shade) people used most is kept.
// Across lists:
//
//   - The display name is the one of the most trusted list that has the
//     key, as that list writes it (the lower-case xkcd names title-cased:
//     "dusty rose" is "Dusty Rose"), and so is the first shade.
//   - A less trusted list's shade is added only when it is within CIEDE2000
//     25 of the first shade: when lists disagree wildly about a word (xkcd's
//     "Topaz" is a teal, color-name-list's an orange) the more trusted one
//     wins rather than giving the word two unrelated meanings.
//   - And only when it is more than CIEDE2000 3 from every shade already
//     kept: a near-duplicate adds nothing (color-name-list copies many xkcd
//     values).
//
// So an entry has one to three shades, most trusted first, each with the
// list it came from.
//
// # Generated data, never hand-typed
//
// vocab.tsv.gz and LICENSES.md are written by gen/main.go ("go generate"):
// it downloads the pinned npm tarballs, checks them against pinned sha512
// hashes, merges the lists and writes the files deterministically. Fixing a
// shade by hand would be undone by the next generation and could not be
// traced to a source; corrections belong in the curated colour map, which
// is consulted first. "go run ./gen -check" (run by TestGeneratedUpToDate)
// fails when the committed files differ from what the generator makes.
//
// The table is gzip-compressed UTF-8 text, one entry a line, sorted by key:
//
//	key<TAB>Display Name<TAB>rrggbb[ rrggbb...]<TAB>codes
//
// where codes has one letter per shade: x (xkcd), i (iscc-nbs), c
// (color-name-list). The key is left empty when it is the name's "plain
// key", the name lower-cased without spaces, for names made only of ASCII
// letters, digits and spaces (nearly all). The table is decoded once, on
// first use, in about 15 ms.
package vocab
