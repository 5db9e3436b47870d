package policyclient_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/webhooksig"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

func TestVerifySignature(t *testing.T) {
	secret := "whsec_abc"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"ev_1","type":"policy.active","data":{"id":"pl_1"}}`)
	good := webhooksig.Sign(secret, now, body)
	other := webhooksig.Sign("whsec_other", now, body)
	v := pc.Verifier{Secret: secret, Now: func() time.Time { return now }}

	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", good, body, now, nil},
		{"valid within tolerance", good, body, now.Add(299 * time.Second), nil},
		{"tampered body", good, []byte(`{"id":"ev_1","type":"policy.cancelled","data":{"id":"pl_1"}}`), now, pc.ErrNoMatch},
		{"wrong secret", other, body, now, pc.ErrNoMatch},
		{"stale", good, body, now.Add(301 * time.Second), pc.ErrStaleTimestamp},
		{"future", good, body, now.Add(-301 * time.Second), pc.ErrStaleTimestamp},
		{"several v1, one matches", other + "," + good[len(fmt.Sprintf("t=%d,", now.Unix())):], body, now, nil},
		{"several v1, none match", other + ",v1=deadbeef", body, now, pc.ErrNoMatch},
		{"missing header", "", body, now, pc.ErrMissingSignature},
		{"no timestamp", "v1=abcd", body, now, pc.ErrMalformedHeader},
		{"garbage", "hello", body, now, pc.ErrMalformedHeader},
		{"bad timestamp", "t=soon,v1=abcd", body, now, pc.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.now
			vv := v
			vv.Now = func() time.Time { return at }
			err := vv.Verify(tc.header, tc.body)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
			}
		})
	}
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
	assert.Equal(t, "engagement:remote:ct_1", ev.EngagementKey())

	for _, bad := range []struct{ body, field string }{
		{`{}`, `"type"`},
		{`{"type":"policy.active"}`, `"data"`},
		{`{"type":"policy.active","data":{"status":"x"}}`, `"data.id"`},
		{`[1,2]`, ``},
		{`{"type":"policy.active","data":[1]}`, `"data"`},
	} {
		_, err := pc.ParseEvent([]byte(bad.body))
		require.Error(t, err, bad.body)
		assert.ErrorIs(t, err, pc.ErrEventMalformed)
		assert.Contains(t, err.Error(), bad.field)
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{"id":"ev_1","type":"policy.active","created":1700000000,"data":{"id":"pl_1","quote":"qt_1"}}`,
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

func FuzzVerify(f *testing.F) {
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		v := pc.Verifier{Secret: "whsec_fuzz", Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
		if v.Verify(header, body) == nil {
			// Only a real HMAC can pass, and the fuzzer does not know the secret.
			t.Fatalf("verified a header the fuzzer made up: %q", header)
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

func FuzzEventIDOf(f *testing.F) {
	f.Add([]byte(`{"id":"ev_1"}`))
	f.Add([]byte(`{"id":"ev\u0000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := pc.EventIDOf(body)
		if err == nil && !pc.EventIDShape.MatchString(id) {
			t.Fatalf("accepted id %q", id)
		}
	})
}

func TestVerifierAcceptsEveryRotatedSecret(t *testing.T) {
	body := []byte(`{"id":"ev_1","type":"policy.active","data":{"id":"pl_1"}}`)
	v := pc.Verifier{Secret: "whsec_new,whsec_old"}
	for _, secret := range []string{"whsec_new", "whsec_old"} {
		assert.NoError(t, v.Verify(webhooksig.Sign(secret, time.Now(), body), body), secret)
	}
	assert.ErrorIs(t, v.Verify(webhooksig.Sign("whsec_gone", time.Now(), body), body), pc.ErrNoMatch)
	assert.Equal(t, []string{"a", "b"}, pc.SecretList(" a, ,b ,"))
}
