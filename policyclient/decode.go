package policyclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Time is a 1099Policy timestamp in Unix seconds. The API sends numbers, but one published
// example uses ISO-8601 strings, so decoding accepts numbers, numeric strings, RFC 3339 and
// date-only strings. It always encodes as a number.
type Time int64

// UnmarshalJSON accepts 1700000000, "1700000000", "2026-12-01T00:00:00Z", "2026-12-01" or null.
func (t *Time) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		*t = 0
		return nil
	}
	if data[0] != '"' {
		f, err := strconv.ParseFloat(string(data), 64)
		if err != nil {
			return fmt.Errorf("timestamp %s: not a number", data)
		}
		*t = Time(int64(f))
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		*t = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*t = Time(n)
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if parsed, err := time.Parse(layout, s); err == nil {
			*t = Time(parsed.Unix())
			return nil
		}
	}
	return fmt.Errorf("timestamp %q: neither Unix seconds nor ISO-8601", s)
}

// Unix returns the time as a time.Time in UTC (the zero time for 0).
func (t Time) Unix() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// Metadata is custom_metadata. Decoding accepts an object, an object encoded as a JSON string
// (both official SDKs re-parse such strings), and non-string values (kept as their JSON text).
type Metadata map[string]string

// UnmarshalJSON decodes tolerantly; see Metadata.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	data, err := unwrapJSONString(data)
	if err != nil {
		return err
	}
	if len(data) == 0 || string(data) == "null" {
		*m = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("custom_metadata: %w", err)
	}
	out := make(Metadata, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(v)
		}
	}
	*m = out
	return nil
}

// unwrapJSONString returns the JSON inside a JSON string, or data itself when it is not a string.
func unwrapJSONString(data []byte) ([]byte, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '"' {
		return data, nil
	}
	var inner string
	if err := json.Unmarshal(data, &inner); err != nil {
		return nil, err
	}
	return bytes.TrimSpace([]byte(inner)), nil
}

// decodeNested decodes into v an object that may arrive as itself or as JSON inside a string.
func decodeNested(data []byte, v any) error {
	data, err := unwrapJSONString(data)
	if err != nil {
		return err
	}
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	return json.Unmarshal(data, v)
}
