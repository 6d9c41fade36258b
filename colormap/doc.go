// Package colormap maps catalog colour names to prototype shades: the
// human-edited colour-map file, its embedded default, name normalisation,
// aliases, compositional modifiers ("Light Blue", "Greenish Khaki"),
// specials ("Multi"), and the tiers behind the map that give every name an
// answer (head words, finish words, an open vocabulary).
//
// # File format
//
// A colour map is UTF-8 text, one line at a time:
//
//	# palette colour map. Lines starting with # are comments; blank lines are kept.
//	# Name: one or more prototype shades as #RRGGBB, then optionally "also:" and comma-separated aliases.
//	Navy Blue: #1F2A44 #000080 #2B3A67  also: Navy, Dark Navy   # a trailing comment is allowed
//	Multi: multi  also: Multicolor, Multicolour, Assorted, Multi Colour
//
// The rules, exactly:
//
//   - A line whose first non-blank character is '#' is a comment; a line of
//     only white space is blank. Both are kept as they are.
//   - Any other line is an entry. A trailing comment starts at the first '#'
//     that is followed by white space or ends the line ("#1F2A44" is a shade,
//     "# note" is a comment).
//   - The name is the text before the first ':', trimmed. It must not be
//     empty after [Normalize] and must not contain '#', ':', ',', '|',
//     control characters or invisible formatting characters such as a
//     byte-order mark ('|' separates colours in catalog data). A byte-order
//     mark at the very start of the file is ignored.
//   - After the ':' come white-space separated tokens: shades written "#RGB"
//     or "#RRGGBB" (hex digits in either case), or the single special token
//     "multi" (any case), which makes the entry [Multi]: "the product's main
//     distinct colours". An entry has at least one shade, or exactly "multi".
//   - Optionally the word "also:" and a comma-separated list of aliases
//     follows; each alias obeys the same rules as a name.
//   - Every name and alias must be unique in the file after normalisation
//     with spaces ignored ("Off White", "off-white" and "Offwhite" are one
//     name): a second use in another entry is an error naming both lines.
//     Repeating a name inside one entry ("Multicolor, Multicolour") is
//     allowed and harmless.
//   - Limits: lines of at most [MaxLineBytes] bytes, at most [MaxEntries]
//     entries, files of at most [MaxFileBytes] bytes.
//
// [Parse] reports every problem it finds (up to 100), each as
// "file:line: message", in an [Errors] value.
//
// # Writing and editing
//
// A [Map] remembers the text it was parsed from. [Map.WriteTo] and
// [Map.Bytes] write that text back byte for byte, comments, blank lines,
// spacing and line endings included. [Map.With] and [Map.Without] return a
// new Map in which only the added, replaced or removed entry line differs;
// a replaced entry keeps its position and its trailing comment, a new entry
// is appended at the end in the canonical form
// "Name: #RRGGBB #RRGGBB  also: Alias, Alias".
//
// # Resolving names
//
// [Map.Resolve] finds a name as written in the map (by name or alias, after
// [Normalize], spaces ignored); failing that, it drops a trailing word
// "color"/"colored" ("Red Colour" is "Red"), and then composes the name
// from names the map has, at most [MaxModifiers] steps deep:
//
//   - "Light X", "Pale X", "Dark X", "Deep X", "Bright X", "Muted X",
//     "Medium X" (and the synonyms listed at [LightAmount] and the constants
//     after it) change the lightness and chroma of every shade of X;
//   - "Xish Y" and "X-ish Y" ("Greenish Khaki", "Bluish Grey") move each
//     shade of Y [IshBlend] of the way towards the nearest shade of X;
//   - "X Y" where X is an entry (the longest that fits) and Y resolves
//     ("Blue Grey", "Navy Blue Grey") moves each
//     shade of Y [CompoundBlend] of the way towards the nearest shade of X.
//
// A composition that involves a [Multi] entry ("Dark Multi") is Multi.
// Exact entries always win: when the map has "Light Blue" itself, that
// entry is used. Composition works in OKLab, where hue stays constant as
// lightness changes; "nearest" is CIEDE2000. Composed shades are brought
// into the sRGB gamut by lowering chroma at constant lightness and hue.
//
// # Behind the map
//
// Real catalogs use thousands of names the map will never list ("Iron
// Grey", "Navy Heather", "Oatmeal"). What the map cannot find or compose
// goes through further tiers; [Resolved.Via] says which answered:
//
//   - The name is cleaned as a person reads it: "Blue (Light)" is "Light
//     Blue"; punctuation, words with digits ("Red 040") and trailing sizes
//     ("Red XL") are dropped. The map and composition are tried again.
//   - [Head]: words the map does not know are dropped around the colour
//     words it does know, and the rest is resolved ("Iron Grey" is Grey,
//     "Light Storm Blue" Light Blue); failing that the last known word, the
//     head of an English noun phrase ("Storm Cloud Navy" is Navy). Finish
//     and texture words shift the shades the way they do on a garment
//     ([HeatherAmount], [WashedAmount], [DyedAmount], [AntiqueAmount]):
//     "Navy Heather" is a lighter, greyer navy, "Washed Black" a soft
//     charcoal; "True", "Solid", "Classic" change nothing. A finish word is
//     never blended as a colour ("Heather Red" is a heathered red even when
//     the map has "Heather").
//   - [Vocabulary]: the open vocabulary of public colour-name lists (xkcd,
//     ISCC-NBS, color-name-list; see colormap/internal/vocab), by the name
//     as written, cleaned, without finish words, then its longest run of
//     trailing, then leading, words. It never overrides the map: it is only
//     asked about names the map and the head tier cannot read.
//   - A one-word name nothing knows is read as a compound whose head is its
//     end ("Crunchberry" is a berry: [Head] when the map has the part,
//     [Vocabulary] when the lists do).
//   - [Unknown]: only [Map.ResolveAll] returns it; the caller decides
//     (package palette gives such a name the product's main colour, flagged).
//
// [Map.ResolveAll] also splits a name that lists colours ("Navy & White",
// "Black/White", "Red and Black") into one Resolved per colour.
//
// A [Map] is immutable: any number of goroutines may call its methods
// concurrently.
package colormap
