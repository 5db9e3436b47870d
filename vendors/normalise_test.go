package vendors_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
)

func TestCents(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
	}{
		{"0.10", 10}, {"19.99", 1999}, {"1,250.50", 125050}, {"75", 7500}, {"75.5", 7550}, {"5000.00", 500000},
		{"$12.34", 1234}, {" 3.00 ", 300}, {json.Number("19.99"), 1999}, {json.RawMessage(`19.99`), 1999},
		{json.RawMessage(`"0.10"`), 10}, {float64(0.1), 10}, {float64(19.99), 1999}, {int64(75), 7500}, {75, 7500},
		{"99999999.99", 9999999999},
	} {
		got, err := vendors.Cents(tc.in)
		require.NoError(t, err, "%v", tc.in)
		assert.Equal(t, tc.want, got, "%v", tc.in)
	}
	for _, bad := range []any{"", "abc", "1.234", "-5", nil, json.RawMessage(`null`), "1e400", true} {
		_, err := vendors.Cents(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestAmountFromJSONKeepsExactValue(t *testing.T) {
	var v struct{ A, B, C vendors.Amount }
	require.NoError(t, json.Unmarshal([]byte(`{"A":19.99,"B":"1,250.50","C":null}`), &v))
	a, _ := v.A.Cents()
	b, _ := v.B.Cents()
	assert.Equal(t, int64(1999), a)
	assert.Equal(t, int64(125050), b)
	assert.False(t, v.C.Set())
	var u struct{ P, N vendors.Amount }
	require.NoError(t, json.Unmarshal([]byte(`{"P":"12.50","N":"3"}`), &u))
	total, err := u.P.Multiply(u.N)
	require.NoError(t, err)
	assert.Equal(t, int64(3750), total)
}

func TestWindow(t *testing.T) {
	day := func(s string) int64 { t, _ := time.Parse(time.RFC3339, s); return t.Unix() }
	start, err := vendors.WindowStart("2026-12-01")
	require.NoError(t, err)
	assert.Equal(t, day("2026-12-01T00:00:00Z"), start)
	end, err := vendors.WindowEnd("2026-12-31")
	require.NoError(t, err)
	assert.Equal(t, day("2027-01-01T00:00:00Z"), end, "a date-only end covers its last day")
	end, err = vendors.WindowEnd("2026-12-31T17:30:00Z")
	require.NoError(t, err)
	assert.Equal(t, day("2026-12-31T17:30:00Z"), end, "an end with a time is kept")
	zoned, err := vendors.WindowStart("2026-12-01T09:00:00-08:00")
	require.NoError(t, err)
	assert.Equal(t, day("2026-12-01T17:00:00Z"), zoned, "zones are converted to UTC")
	nozone, err := vendors.WindowStart("2026-12-01T09:00:00")
	require.NoError(t, err)
	assert.Equal(t, day("2026-12-01T09:00:00Z"), nozone, "no zone is UTC")
	jd, err := vendors.WindowEnd("02/28/2027 00:00:00", vendors.LayoutJobDiva)
	require.NoError(t, err)
	assert.Equal(t, day("2027-03-01T00:00:00Z"), jd, "JobDiva midnight end covers the day")
	jds, err := vendors.WindowStart("12/01/2026 08:30:00", vendors.LayoutJobDiva)
	require.NoError(t, err)
	assert.Equal(t, day("2026-12-01T08:30:00Z"), jds)
	_, err = vendors.WindowStart("01/12/2026")
	assert.Error(t, err)
}

func TestProxyEmail(t *testing.T) {
	assert.Equal(t, "remote-ctr_9a81@relay.example.com", vendors.ProxyEmail("remote", "ctr_9a81", "relay.example.com"))
	assert.Equal(t, "jobdiva-12345@relay.example.com", vendors.ProxyEmail("jobdiva", "12345", "Relay.Example.com"))
	assert.Equal(t, "upwork-fl-a-b-c@r.io", vendors.ProxyEmail("upwork", "FL/A+B C", "r.io"))
	assert.NotEqual(t, vendors.ProxyEmail("remote", "1", "d"), vendors.ProxyEmail("jobdiva", "1", "d"), "never collide across platforms")
	assert.Equal(t, "ava@example.com", vendors.ContractorEmail(" Ava@Example.COM ", "upwork", "fl_1", "d"))
	assert.Equal(t, "upwork-fl_1@d", vendors.ContractorEmail("", "upwork", "fl_1", "d"))
}

func TestSplitName(t *testing.T) {
	for _, tc := range []struct{ in, first, last string }{
		{"Ava Nguyen", "Ava", "Nguyen"}, {"Mary Ann  van Dyke", "Mary Ann van", "Dyke"}, {"Cher", "Cher", "Cher"}, {"  Ava   Nguyen ", "Ava", "Nguyen"},
	} {
		f, l := vendors.SplitName(tc.in)
		assert.Equal(t, tc.first, f, tc.in)
		assert.Equal(t, tc.last, l, tc.in)
	}
}
