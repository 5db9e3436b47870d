package policyclient_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/webhooksig"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// The Ten99Policy-Signature known answer, computed outside Go from 1099policy-api.md's
// statement of the scheme (HMAC-SHA256 keyed with the endpoint secret over "<t>.<raw body>"):
//
//	python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_1099policy_example", b"1796198400." + open("body","rb").read(), hashlib.sha256).hexdigest())'
//
// with policyBody (no trailing newline) in "body". policyOtherMAC is the same with the key
// whsec_other, policyBodyDotT the same key over "<raw body>.<t>" (the order swapped).
const (
	policySecret   = "whsec_1099policy_example"
	policyBody     = `{"id":"ev_01J9Z8","type":"policy.active","created":1796198400,"data":{"id":"pl_01J9Z8","quote":"qt_01J9Z8","status":"active","effective_date":1796198400,"expiration_date":1827734400,"custom_metadata":{"engagement_key":"engagement:remote:2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}}}`
	policyMAC      = "260f7453c515b07af366e698a60b565839781e9a702a2505e7209f6df5037dac"
	policyOtherMAC = "366be9cee5b8bd7a2fda422a61fb70c447547b9b8303ee79a9c7467a89545f99"
	policyBodyDotT = "b73c59412e3f82ef40168501acc50952a45ac2e33623e4eb12fdb27042e25ab0"
	policyHeader   = "t=1796198400,v1=" + policyMAC
)

var policySignedAt = time.Unix(1796198400, 0)

// The sandbox and the end-to-end tests sign 1099Policy's deliveries with webhooksig.Sign.
func TestSignTen99PolicyKnownAnswer(t *testing.T) {
	assert.Equal(t, policyHeader, webhooksig.Sign(policySecret, policySignedAt, []byte(policyBody)))
}

func TestVerifySignature(t *testing.T) {
	body := []byte(policyBody)
	now := policySignedAt
	for _, tc := range []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", policySecret, policyHeader, body, now, nil},
		{"valid within tolerance", policySecret, policyHeader, body, now.Add(299 * time.Second), nil},
		{"valid at the tolerance", policySecret, policyHeader, body, now.Add(300 * time.Second), nil},
		{"valid during a rotation", "whsec_new, " + policySecret, policyHeader, body, now, nil},
		{"tampered body", policySecret, policyHeader, []byte(strings.Replace(policyBody, "policy.active", "policy.cancelled", 1)), now, pc.ErrNoMatch},
		{"body with a trailing newline", policySecret, policyHeader, []byte(policyBody + "\n"), now, pc.ErrNoMatch},
		{"wrong secret", "whsec_other_than_signed", policyHeader, body, now, pc.ErrNoMatch},
		{"signed with another secret", policySecret, "t=1796198400,v1=" + policyOtherMAC, body, now, pc.ErrNoMatch},
		{"MAC over body.t", policySecret, "t=1796198400,v1=" + policyBodyDotT, body, now, pc.ErrNoMatch},
		{"stale", policySecret, policyHeader, body, now.Add(301 * time.Second), pc.ErrStaleTimestamp},
		{"future", policySecret, policyHeader, body, now.Add(-301 * time.Second), pc.ErrStaleTimestamp},
		{"several v1, one matches", policySecret, "t=1796198400,v1=" + policyOtherMAC + ",v1=" + policyMAC, body, now, nil},
		{"several v1, none match", policySecret, "t=1796198400,v1=" + policyOtherMAC + ",v1=deadbeef", body, now, pc.ErrNoMatch},
		{"empty MAC", policySecret, "t=1796198400,v1=", body, now, pc.ErrNoMatch},
		{"truncated MAC", policySecret, "t=1796198400,v1=260f7453c515b07af366e698a60b5658", body, now, pc.ErrNoMatch},
		{"upper-case MAC", policySecret, "t=1796198400,v1=260F7453C515B07AF366E698A60B565839781E9A702A2505E7209F6DF5037DAC", body, now, pc.ErrMalformedHeader},
		{"wrong algorithm prefix", policySecret, "t=1796198400,v0=" + policyMAC, body, now, pc.ErrMalformedHeader},
		{"sha256= prefix", policySecret, "t=1796198400,sha256=" + policyMAC, body, now, pc.ErrMalformedHeader},
		{"missing header", policySecret, "", body, now, pc.ErrMissingSignature},
		{"no timestamp", policySecret, "v1=" + policyMAC, body, now, pc.ErrMalformedHeader},
		{"garbage", policySecret, "hello", body, now, pc.ErrMalformedHeader},
		{"bad timestamp", policySecret, "t=soon,v1=" + policyMAC, body, now, pc.ErrMalformedHeader},
		{"no secret configured", "", policyHeader, body, now, pc.ErrNoMatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.now
			err := pc.Verifier{Secret: tc.secret, Now: func() time.Time { return at }}.Verify(tc.header, tc.body)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// A Verifier without a tolerance uses 300 s; one with a tolerance uses it.
func TestVerifierTolerance(t *testing.T) {
	at := func(d time.Duration) func() time.Time { return func() time.Time { return policySignedAt.Add(d) } }
	assert.NoError(t, pc.Verifier{Secret: policySecret, Now: at(300 * time.Second)}.Verify(policyHeader, []byte(policyBody)))
	assert.ErrorIs(t, pc.Verifier{Secret: policySecret, Now: at(61 * time.Second), Tolerance: time.Minute}.Verify(policyHeader, []byte(policyBody)), pc.ErrStaleTimestamp)
	// Without Now the clock is the real one.
	ts := time.Now().Unix()
	fresh := "t=" + strconv.FormatInt(ts, 10) + ",v1=" + referenceMAC(policySecret, ts, []byte(policyBody))
	assert.NoError(t, pc.Verifier{Secret: policySecret}.Verify(fresh, []byte(policyBody)))
	assert.ErrorIs(t, pc.Verifier{Secret: policySecret}.Verify(policyHeader, []byte(policyBody)), pc.ErrStaleTimestamp)
}

func TestParseEventShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body, wantID, wantType string
	}{
		{"flat data", `{"id":"ev_1","type":"policy.active","created":1700000000,"data":{"id":"pl_1","quote":"qt_1","status":"active","expiration_date":1800000000}}`, "ev_1", "policy.active"},
		{"data.object", `{"id":"ev_2","type":"policy.canceled","created":"2026-11-20T10:00:00Z","data":{"object":{"id":"pl_1","quote":"qt_1"}}}`, "ev_2", "policy.cancelled"},
		{"no top-level id", `{"type":"certificate.validated","created":1700000000,"data":{"id":"ci_1","contractor":"cn_1"}}`, "derived:certificate.approved:ci_1:1700000000", "certificate.approved"},
		{"data as string", `{"id":"ev_3","type":"application.complete","data":"{\"id\":\"ias_1\",\"quote\":\"qt_9\"}"}`, "ev_3", "application.complete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := pc.ParseEvent([]byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.wantID, ev.ID)
			assert.Equal(t, tc.wantType, ev.Type)
		})
	}
	ev, err := pc.ParseEvent([]byte(`{"id":"ev_1","type":"policy.active","data":{"id":"pl_1","quote":"qt_1","contractor":{"id":"cn_5"},"expiration_date":1800000000,"custom_metadata":{"engagement_key":"engagement:remote:ct_1"}}}`))
	require.NoError(t, err)
	assert.Equal(t, "qt_1", ev.QuoteID)
	assert.Equal(t, "cn_5", ev.ContractorID)
	assert.EqualValues(t, 1800000000, ev.ExpirationDate)
	assert.Equal(t, "engagement:remote:ct_1", ev.Metadata[pc.MetadataEngagementKey])

	for _, bad := range []struct{ body, field string }{
		{`{}`, `"type"`},
		{`{"type":"policy.active"}`, `"data"`},
		{`{"type":"policy.active","data":{"status":"x"}}`, `"data.id"`},
		{`[1,2]`, ``},
		{`{"type":"policy.active","data":[1]}`, `"data"`},
		{`{"type":"policy.active","data":{"id":5}}`, `data: `},
		{`{"type":"policy.active","data":{"id":"pl_1","expiration_date":"next tuesday"}}`, `data: `},
		{`{"type":"policy.active","data":{"object":{"status":"active"}}}`, `"data.id"`},
	} {
		_, err := pc.ParseEvent([]byte(bad.body))
		require.Error(t, err, bad.body)
		assert.ErrorIs(t, err, pc.ErrEventMalformed)
		assert.Contains(t, err.Error(), bad.field)
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		policyBody,
		`{"id":"ev_1","type":"policy.active","created":1700000000,"data":{"id":"pl_1","quote":"qt_1"}}`,
		`{"id":"ev_2","type":"certificate.approved","created":1796198400,"data":{"object":{"id":"ci_1","contractor":{"id":"cn_7"},"status":"approved"}}}`,
		`{"type":"x","data":{"object":{"id":"a"}}}`,
		`{"type":"x","data":"{\"id\":\"a\"}"}`,
		`{"id":1}`, `null`, `"str"`, `{"type":"x","data":{"id":"a","expiration_date":"2026-01-01"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := pc.ParseEvent(body)
		if err != nil {
			if !errors.Is(err, pc.ErrEventMalformed) {
				t.Fatalf("error %v does not wrap ErrEventMalformed", err)
			}
			return
		}
		if ev.Type == "" || ev.ObjectID == "" || ev.ID == "" {
			t.Fatalf("accepted an event without type, object id or id: %+v", ev)
		}
	})
}

// referenceMAC is the scheme as 1099policy-api.md states it, written apart from webhooksig.
func referenceMAC(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// FuzzVerify: the Verifier never panics, fails only with the four signature errors, and
// accepts only a header that carries the body's lower-case MAC for its own timestamp.
func FuzzVerify(f *testing.F) {
	f.Add(policyHeader, []byte(policyBody))
	f.Add("t=1796198400,v1="+policyOtherMAC+",v1="+policyMAC, []byte(policyBody))
	f.Add("t=1796198400,v1="+policyBodyDotT, []byte(policyBody))
	f.Add("t=1796198400,v0="+policyMAC, []byte(policyBody))
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		v := pc.Verifier{Secret: policySecret, Now: func() time.Time { return policySignedAt }}
		err := v.Verify(header, body)
		if err != nil {
			for _, known := range []error{pc.ErrMissingSignature, pc.ErrMalformedHeader, pc.ErrStaleTimestamp, pc.ErrNoMatch} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("error %v is none of the signature errors", err)
		}
		var ts int64
		for _, part := range strings.Split(header, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
				ts, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if !strings.Contains(header, "v1="+referenceMAC(policySecret, ts, body)) {
			t.Fatalf("verified %q without the body's MAC", header)
		}
	})
}

func TestEventIDOf(t *testing.T) {
	id, err := pc.EventIDOf([]byte(`{"id":"ev_9","type":"policy.active","data":{"id":"pl_1"}}`))
	require.NoError(t, err)
	assert.Equal(t, "ev_9", id)
	id, err = pc.EventIDOf([]byte(`{"id":"ev_9","type":"forged","data":"anything"}`))
	require.NoError(t, err, "refetch mode trusts nothing but the id, so the rest may be anything")
	assert.Equal(t, "ev_9", id)
	for _, body := range []string{`{"type":"policy.active"}`, `{"id":""}`, `{"id":"ev 9"}`, `[1]`, `not json`} {
		_, err := pc.EventIDOf([]byte(body))
		assert.ErrorIs(t, err, pc.ErrEventMalformed, body)
	}
}

// FuzzEventIDOf: refetch mode's only reading of an unverified body; it never panics, fails
// only with ErrEventMalformed, and what it accepts has the event id's shape.
func FuzzEventIDOf(f *testing.F) {
	f.Add([]byte(policyBody))
	f.Add([]byte(`{"id":"ev_1"}`))
	f.Add([]byte(`{"id":"ev\u0000"}`))
	f.Add([]byte(`{"id":" ev_1 "}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := pc.EventIDOf(body)
		if err != nil {
			if !errors.Is(err, pc.ErrEventMalformed) {
				t.Fatalf("error %v does not wrap ErrEventMalformed", err)
			}
			return
		}
		if !pc.EventIDShape.MatchString(id) {
			t.Fatalf("accepted id %q", id)
		}
	})
}

func TestVerifierAcceptsEveryRotatedSecret(t *testing.T) {
	body := []byte(policyBody)
	now := func() time.Time { return policySignedAt }
	for _, setting := range []string{"whsec_new," + policySecret, policySecret + ",whsec_new", " whsec_new , " + policySecret + " ,"} {
		assert.NoError(t, pc.Verifier{Secret: setting, Now: now}.Verify(policyHeader, body), setting)
	}
	assert.ErrorIs(t, pc.Verifier{Secret: "whsec_new,whsec_gone", Now: now}.Verify(policyHeader, body), pc.ErrNoMatch)
	assert.Equal(t, []string{"a", "b"}, pc.SecretList(" a, ,b ,"))
	assert.Empty(t, pc.SecretList(" , "))
}
