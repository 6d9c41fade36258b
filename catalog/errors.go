package catalog

import (
	"errors"
	"strconv"
)

// Errors of [Client.Colors]. Every error it returns, apart from the
// caller's own context ending, is an [*Error] that wraps exactly one of
// these, so callers tell the classes apart with errors.Is.
//
// [ErrUnavailable] is the catalog's fault, or ours in reaching it: a retry
// later may well succeed. The other four are answers from a working
// catalog that the same request would get again: retrying does not help.
var (
	// ErrUnavailable: no usable answer from the catalog service: a
	// timeout, a network error, a 5xx, 408 or 429 status, a body that is
	// not JSON or is larger than Config.MaxBodyBytes, the circuit breaker
	// being open, or no free call slot within Config.Timeout. All of them
	// but the last two count as failures towards opening the breaker.
	ErrUnavailable = errors.New("catalog: unavailable")
	// ErrNotFound: the catalog answered 404: it does not know the product.
	ErrNotFound = errors.New("catalog: not found")
	// ErrRejected: the catalog answered with another 4xx status (not 404,
	// 408 or 429): it refuses the request, e.g. 400 for a product id it
	// cannot parse or 401/403 for missing credentials.
	ErrRejected = errors.New("catalog: request rejected")
	// ErrNoColors: the catalog answered with JSON whose colour list is
	// empty or null, or holds only blank names.
	ErrNoColors = errors.New("catalog: no colours")
	// ErrBadColors: the catalog answered with JSON that does not hold a
	// usable colour list at Config.Path: the path is missing, the value
	// there is not a list of strings, or the list breaks [MaxColors] or
	// [MaxColorBytes].
	ErrBadColors = errors.New("catalog: unusable colours")
)

// errBusy marks an ErrUnavailable that never reached the catalog because
// every call slot stayed taken; the breaker leaves it out of its counts.
var errBusy = errors.New("no free call slot")

// Error is the error of one product's lookup. It wraps its Kind (one of
// the package's sentinel errors) and, when there is one, the underlying
// cause.
type Error struct {
	// Kind is ErrUnavailable, ErrNotFound, ErrRejected, ErrNoColors or
	// ErrBadColors.
	Kind error
	// ProductID is the product looked up.
	ProductID string
	// Detail says what happened: "status 503", "timeout after 2s",
	// "circuit open (last failure: status 503)", "the list at \"colors\"
	// is empty".
	Detail string
	// Err is the underlying error, if any (a network error, a JSON syntax
	// error).
	Err error
}

// Error reads like `catalog: unavailable for product "P1": status 503`.
func (e *Error) Error() string {
	return e.Kind.Error() + " for product " + strconv.Quote(e.ProductID) + ": " + e.Detail
}

// Unwrap returns the Kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Transient reports whether err is worth retrying later: it wraps
// [ErrUnavailable]. The caller's own context ending is not this package's
// to judge; check it separately.
func Transient(err error) bool { return errors.Is(err, ErrUnavailable) }
