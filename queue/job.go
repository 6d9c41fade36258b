package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on a job message, enforced by [ParseJob] before anything else looks
// at the job.
const (
	MaxJobBytes       = 64 << 10 // whole message value
	MaxProductIDBytes = 256
	MaxImageBytes     = 2048
	MaxColors         = 16
	MaxColorBytes     = 64
	MaxOutputBytes    = 2048
)

// JobVersion is the only job schema version this package understands.
const JobVersion = 1

// ErrBadJob is wrapped by every error [ParseJob] returns. Bad jobs are
// permanent failures: they are dead-lettered at once, without calling the
// handler.
var ErrBadJob = errors.New("queue: bad job")

// Job is one request to make a swatch: the JSON value of a message on the
// jobs topic. Its Kafka key is the product id.
type Job struct {
	// V is the schema version; 0 (absent) is read as 1.
	V int `json:"v"`
	// ProductID identifies the product; required, at most 256 bytes.
	ProductID string `json:"product_id"`
	// Image is a reference to the product photo (s3:// or https://); required,
	// at most 2048 bytes.
	Image string `json:"image"`
	// Colors are the catalog's colour names, at most 16 of at most 64 bytes.
	Colors []string `json:"colors"`
	// Output is where to put the swatch; empty means a key derived from
	// the product id and image. At most 2048 bytes.
	Output string `json:"output,omitempty"`
}

// ParseJob decodes and checks a job message value. A missing "v" means
// version 1; any other version is rejected. Unknown fields are ignored.
// product_id and image are required, and the sizes listed in the Max
// constants are enforced. Every error wraps [ErrBadJob].
func ParseJob(value []byte) (Job, error) {
	if len(value) > MaxJobBytes {
		return Job{}, fmt.Errorf("%w: message is %d bytes, limit %d", ErrBadJob, len(value), MaxJobBytes)
	}
	var raw struct {
		V         *int     `json:"v"`
		ProductID string   `json:"product_id"`
		Image     string   `json:"image"`
		Colors    []string `json:"colors"`
		Output    string   `json:"output"`
	}
	// encoding/json replaces invalid UTF-8 (and lone surrogate escapes)
	// with U+FFFD without a word: a product id would then be rewritten
	// into another key and output path. Such a message is refused.
	if !utf8.Valid(value) {
		return Job{}, fmt.Errorf("%w: message is not valid UTF-8 (first bad byte at offset %d)", ErrBadJob, invalidAt(value))
	}
	if err := json.Unmarshal(value, &raw); err != nil {
		return Job{}, fmt.Errorf("%w: malformed JSON: %v", ErrBadJob, err)
	}
	// A U+FFFD in a field that the message does not spell (as the rune or
	// as \ufffd) came from an invalid escape. The message is searched only
	// when a field holds one, which is rare.
	for _, f := range [...][2]string{{"product_id", raw.ProductID}, {"image", raw.Image}, {"output", raw.Output}} {
		if strings.ContainsRune(f[1], utf8.RuneError) && !bytes.ContainsRune(value, utf8.RuneError) &&
			!bytes.Contains(bytes.ToLower(value), []byte(`\ufffd`)) {
			return Job{}, fmt.Errorf("%w: %s holds an invalid UTF-16 escape", ErrBadJob, f[0])
		}
	}
	job := Job{V: JobVersion, ProductID: raw.ProductID, Image: raw.Image, Colors: raw.Colors, Output: raw.Output}
	if raw.V != nil {
		job.V = *raw.V
	}
	if err := job.check(); err != nil {
		return Job{}, err
	}
	return job, nil
}

// check validates a job whose version has already been defaulted.
func (j Job) check() error {
	switch {
	case j.V != JobVersion:
		return fmt.Errorf("%w: unsupported version %d", ErrBadJob, j.V)
	case j.ProductID == "":
		return fmt.Errorf("%w: missing product_id", ErrBadJob)
	case len(j.ProductID) > MaxProductIDBytes:
		return fmt.Errorf("%w: product_id is %d bytes, limit %d", ErrBadJob, len(j.ProductID), MaxProductIDBytes)
	case j.Image == "":
		return fmt.Errorf("%w: missing image", ErrBadJob)
	case len(j.Image) > MaxImageBytes:
		return fmt.Errorf("%w: image is %d bytes, limit %d", ErrBadJob, len(j.Image), MaxImageBytes)
	case len(j.Output) > MaxOutputBytes:
		return fmt.Errorf("%w: output is %d bytes, limit %d", ErrBadJob, len(j.Output), MaxOutputBytes)
	case len(j.Colors) > MaxColors:
		return fmt.Errorf("%w: %d colors, limit %d", ErrBadJob, len(j.Colors), MaxColors)
	}
	for i, c := range j.Colors {
		if len(c) > MaxColorBytes {
			return fmt.Errorf("%w: colors[%d] is %d bytes, limit %d", ErrBadJob, i, len(c), MaxColorBytes)
		}
	}
	return nil
}

// Color is one catalog colour name with the shade chosen for it.
type Color struct {
	Name          string  `json:"name"`
	Hex           string  `json:"hex"`
	DeltaE        float64 `json:"delta_e"` // ΔE2000 on the CIE scale (L* 0–100)
	Share         float64 `json:"share"`   // pixel share of the chosen shade, 0–1
	Confidence    float64 `json:"confidence"`
	LowConfidence bool    `json:"low_confidence"`
	// ReviewReasons say why LowConfidence is set ("far_from_name",
	// "tiny_share", "person_region", "background", "ambiguous",
	// "shared_colour", "unknown_name").
	ReviewReasons []string `json:"review_reasons,omitempty"`
	// Resolved is what the name was understood as ("Grey" for "Iron
	// Grey"; empty for an unknown name), Via how: "exact", "alias",
	// "modifier", "head", "vocabulary", "unknown" or "multi".
	Resolved string `json:"resolved,omitempty"`
	Via      string `json:"via,omitempty"`
	// Part is the part of a name listing colours this colour was read
	// from ("White" of "Navy & White").
	Part string `json:"part,omitempty"`
}

// Result is the event published on the results topic for each finished job.
// Its Kafka key is the product id.
type Result struct {
	ProductID  string  `json:"product_id"`
	Image      string  `json:"image"`
	Output     string  `json:"output"`
	Colors     []Color `json:"colors"`
	Bytes      int     `json:"bytes"`       // size of the swatch PNG
	DurationMS float64 `json:"duration_ms"` // wall time of the job
	// Source is who chose the colours: SourceAuto (the pipeline) or
	// SourceManual (a person, through the review page's fix; a job for an
	// output fixed by hand keeps that swatch and reports its colours).
	// Empty means SourceAuto.
	Source string `json:"source"`
	// FixedBy is who fixed the swatch by hand, as they typed it, when
	// Source is SourceManual.
	FixedBy string `json:"fixed_by,omitempty"`
}

// Result sources.
const (
	SourceAuto   = "auto"
	SourceManual = "manual"
)

// permanentError marks an error as not worth retrying.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the job is dead-lettered at once instead
// of being retried. Errors not marked (and not wrapping [ErrBadJob]) are
// transient. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or any error it wraps, was marked with
// [Permanent] or is an [ErrBadJob].
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p) || errors.Is(err, ErrBadJob)
}

// unavailableError marks a failure caused by a dependency that is down.
type unavailableError struct{ err error }

func (e unavailableError) Error() string { return e.err.Error() }
func (e unavailableError) Unwrap() error { return e.err }

// Unavailable marks err as caused by a dependency that is down for every
// job (object storage, the catalog), not by the job: the attempt does not
// count against Config.MaxAttempts, and the job is retried once
// Config.Gate lets work go on. A handler should mark only failures it knows
// to be an outage, or a job that can never succeed would be retried for
// ever. Unavailable(nil) is nil.
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	return unavailableError{err}
}

// IsUnavailable reports whether err, or any error it wraps, was marked
// with [Unavailable].
func IsUnavailable(err error) bool {
	var u unavailableError
	return errors.As(err, &u)
}

// ErrShuttingDown, wrapped in a handler's error, says the handler gave up
// because the consumer is stopping (see [Stopping]): the job is left
// uncommitted for the next consumer, neither retried nor dead-lettered.
var ErrShuttingDown = errors.New("queue: shutting down")

type stoppingKey struct{}

// Stopping returns a channel that is closed when the consumer running the
// job of ctx stops taking jobs (its Run context ended). A handler waiting
// for something before it starts real work (an image slot, memory) should
// give up with [ErrShuttingDown] when it closes, so that a shutdown does
// not start work it will then wait for. Outside a consumer it returns nil
// (a channel that never closes).
func Stopping(ctx context.Context) <-chan struct{} {
	c, _ := ctx.Value(stoppingKey{}).(<-chan struct{})
	return c
}

// invalidAt is the offset of the first byte of b that is not valid UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
