package vendors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// MaxCents bounds every amount the product sends as a wage or gross pay: $10 billion. Past it
// a value is a platform's mistake (or a forged record), never a contractor's pay; an
// engagement with such an amount parks with the reason.
const MaxCents = 1_000_000_000_000

// Cents turns a money amount into integer cents with exact decimal arithmetic: "19.99" ->
// 1999, "1,250.50" -> 125050, 75 -> 7500. It accepts a JSON number or string, refuses
// fractions of a cent, negative amounts, amounts above MaxCents and anything that is not a number.
func Cents(v any) (int64, error) {
	r, text, err := decimal(v)
	if err != nil {
		return 0, err
	}
	return centsOf(r, fmt.Sprintf("amount %q", text))
}

// AmountError is a money value or quantity that is not a usable amount; the text names it.
type AmountError struct{ Reason string }

func (e *AmountError) Error() string { return e.Reason }

func amountError(format string, args ...any) error {
	return &AmountError{Reason: fmt.Sprintf(format, args...)}
}

// decimal reads a money value or a quantity exactly (never through a float64's rounding).
func decimal(v any) (*big.Rat, string, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, "", amountError("amount is missing")
	case string:
		s = x
	case json.Number:
		s = x.String()
	case float64:
		s = new(big.Float).SetFloat64(x).Text('f', -1)
	case int:
		s = fmt.Sprint(x)
	case int64:
		s = fmt.Sprint(x)
	case json.RawMessage:
		var str string
		if json.Unmarshal(x, &str) == nil {
			s = str
		} else {
			s = string(x)
		}
	default:
		return nil, "", amountError("amount %v: unsupported type %T", v, v)
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	s = strings.TrimPrefix(s, "$")
	if s == "" || s == "null" {
		return nil, "", amountError("amount is missing")
	}
	if len(s) > maxDecimalText { // "1e999999999" would make a number of a billion digits
		return nil, "", amountError("amount %.20q… is too long to be a number", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !decimalText.MatchString(s) {
		return nil, "", amountError("amount %q is not a number", s)
	}
	if r.Sign() < 0 {
		return nil, "", amountError("amount %q is negative", s)
	}
	return r, s, nil
}

// decimalText is a decimal number (big.Rat alone also reads "0x10", "1_000" and "10/4").
var decimalText = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// maxDecimalText bounds the text of a number read as a decimal (an exponent counts too).
const maxDecimalText = 40

// centsOf turns a value in major units into cents: whole cents, at most MaxCents.
func centsOf(r *big.Rat, what string) (int64, error) {
	c := new(big.Rat).Mul(r, big.NewRat(100, 1))
	if !c.IsInt() {
		return 0, amountError("%s has a fraction of a cent", what)
	}
	if c.Num().Cmp(big.NewInt(MaxCents)) > 0 {
		return 0, amountError("%s is out of range (more than %s)", what, formatCents(MaxCents))
	}
	return c.Num().Int64(), nil
}

func formatCents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// Amount holds a money value exactly as JSON sent it (number or string), for Cents.
type Amount struct{ raw json.RawMessage }

// UnmarshalJSON keeps the raw text so no float ever touches the value.
func (a *Amount) UnmarshalJSON(b []byte) error {
	a.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the amount as it arrived, so a record's version (which marshals the
// rate or terms holding it) changes when the amount does.
func (a Amount) MarshalJSON() ([]byte, error) {
	if len(a.raw) == 0 {
		return []byte("null"), nil
	}
	return a.raw, nil
}

// Set reports whether the amount was present and not null.
func (a Amount) Set() bool { return len(a.raw) > 0 && string(a.raw) != "null" }

// Cents converts the amount.
func (a Amount) Cents() (int64, error) { return Cents(a.raw) }

// Multiply returns the amount (a price) times n (a quantity, which may be fractional) in
// cents, with exact big-number arithmetic: no intermediate can overflow, and a product that is
// not whole cents or is above MaxCents is an error naming both values.
func (a Amount) Multiply(n Amount) (int64, error) {
	price, priceText, err := decimal(a.raw)
	if err != nil {
		return 0, err
	}
	units, unitsText, err := decimal(n.raw)
	if err != nil {
		return 0, fmt.Errorf("unit count: %w", err)
	}
	return centsOf(new(big.Rat).Mul(price, units), fmt.Sprintf("rate %s x %s units", priceText, unitsText))
}

// Date layouts the platforms use.
const (
	LayoutDate    = "2006-01-02"
	LayoutJobDiva = "01/02/2006 15:04:05"
)

// WindowStart reads a coverage start or a pay-period day: a date-only value is 00:00 UTC of
// that day; a time without a zone is UTC.
func WindowStart(s string, layouts ...string) (int64, error) {
	t, _, err := parseTime(s, layouts)
	if err != nil {
		return 0, err
	}
	return t.Unix(), nil
}

// WindowEnd reads a coverage end: a date-only value (or midnight in a date-time layout)
// is 00:00 UTC of the next day, so the last day is covered.
func WindowEnd(s string, layouts ...string) (int64, error) {
	t, dateOnly, err := parseTime(s, layouts)
	if err != nil {
		return 0, err
	}
	if dateOnly || (t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0) {
		t = t.AddDate(0, 0, 1)
	}
	return t.Unix(), nil
}

func parseTime(s string, layouts []string) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, fmt.Errorf("date is missing")
	}
	if len(layouts) == 0 {
		layouts = []string{LayoutDate, time.RFC3339, "2006-01-02T15:04:05"}
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), l == LayoutDate, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("date %q: want one of %s", s, strings.Join(layouts, ", "))
}

// ProxyEmail is the contractor email used when the platform has none:
// <vendor>-<source id>@<domain>, lower-case, characters outside [a-z0-9._-] replaced by "-".
func ProxyEmail(vendor, sourceID, domain string) string {
	local := strings.ToLower(vendor + "-" + sourceID)
	var b strings.Builder
	for _, r := range local {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String() + "@" + strings.ToLower(domain)
}

// ContractorEmail lower-cases the platform's email, or gives the proxy when there is none.
func ContractorEmail(email, vendor, sourceID, domain string) string {
	if e := strings.ToLower(strings.TrimSpace(email)); e != "" {
		return e
	}
	return ProxyEmail(vendor, sourceID, domain)
}

// SplitName splits a display name at the last space into first and last name.
func SplitName(display string) (string, string) {
	display = strings.Join(strings.Fields(display), " ")
	i := strings.LastIndex(display, " ")
	if i < 0 {
		return display, display
	}
	return display[:i], display[i+1:]
}

// HashEventID derives a dedupe key from the parts of an event that has no id.
func HashEventID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "h:" + hex.EncodeToString(h.Sum(nil))[:32]
}

// RecordVersion is a short, fixed-size version of a platform record from the fields an
// engagement acts on (status, dates, terms, the platform's last-modified time). It carries no
// personal data: pass none in.
func RecordVersion(parts ...string) string {
	return "v:" + strings.TrimPrefix(HashEventID(parts...), "h:")[:16]
}

// FirstNonEmpty returns the first value that is not blank.
func FirstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// KindFromStatus is the event a polled record becomes: end or cancel for a terminal status,
// else a start (which updates an engagement that already runs).
func KindFromStatus(status string, ends, cancels []string) EventKind {
	if k := TerminalFromStatus(status, ends, cancels); k != "" {
		return k
	}
	return KindStart
}

// MapInvoice converts an invoice's amount and period (dates as given).
func MapInvoice(id string, amount Amount, periodStart, periodEnd string, layouts ...string) (Invoice, error) {
	cents, err := amount.Cents()
	if err != nil {
		return Invoice{}, &APIError{What: "invoice " + id + " amount", Body: err.Error()}
	}
	start, err := WindowStart(periodStart, layouts...)
	if err != nil {
		return Invoice{}, &APIError{What: "invoice " + id + " period start", Body: err.Error()}
	}
	end, err := WindowStart(periodEnd, layouts...)
	if err != nil {
		return Invoice{}, &APIError{What: "invoice " + id + " period end", Body: err.Error()}
	}
	return Invoice{ID: id, GrossPay: cents, PeriodStart: start, PeriodEnd: end}, nil
}
