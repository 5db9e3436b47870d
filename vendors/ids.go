package vendors

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// IDRule is the shape of one kind of platform id that arrives from outside (a path, a
// webhook body, a backfill list): ids go into platform URLs, workflow ids and search
// attributes, so only URL-safe characters are accepted, never "..", and never more than
// MaxLen characters.
type IDRule struct {
	What    string         // what the id names, for the 400 answer ("assignment id")
	Pattern *regexp.Regexp // nil: SafeID
	MaxLen  int
}

// SafeID: letters, digits and . _ ~ - (RFC 3986 unreserved), starting with a letter or digit.
var SafeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]*$`)

// IDError names an id that does not have its platform's shape (a 400 answer).
type IDError struct {
	What, ID, Why string
}

func (e *IDError) Error() string {
	return fmt.Sprintf("%s %s is not valid: %s", e.What, quoted(e.ID), e.Why)
}

// quoted keeps an answer short and printable: at most 32 bytes of the id are repeated, in
// ASCII with Go escapes.
func quoted(id string) string {
	if len(id) > 32 {
		return strconv.QuoteToASCII(id[:32]) + "…"
	}
	return strconv.QuoteToASCII(id)
}

// Check returns an *IDError when id does not have the rule's shape.
func (r IDRule) Check(id string) error {
	pattern := r.Pattern
	if pattern == nil {
		pattern = SafeID
	}
	switch {
	case id == "":
		return &IDError{What: r.What, ID: id, Why: "empty"}
	case len(id) > r.MaxLen:
		return &IDError{What: r.What, ID: id, Why: fmt.Sprintf("longer than %d characters", r.MaxLen)}
	case strings.Contains(id, ".."):
		return &IDError{What: r.What, ID: id, Why: `".." is not part of an id`}
	case !pattern.MatchString(id):
		return &IDError{What: r.What, ID: id, Why: "only letters, digits and . _ ~ - are accepted"}
	}
	return nil
}
