package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/webhooksig"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const notifySecret = "whsec_notify_example"

var sentAt = time.Unix(1796198400, 0)

// sentBody is the webhook body of the event TestSenderSignsWebhooksAndFormatsSlack sends.
const sentBody = `{"id":"ntf_1","type":"engagement.unprotected","created":1796198400,"engagement":{"workflow_id":"engagement:remote:ct_1","vendor":"remote","engagement_id":"ct_1","coverage_status":"UNPROTECTED","certificate_status":"NONE","reason":"policy pl_1 cancelled","session_url":"","coverage_start":0,"coverage_end":0}}`

// python3 -c 'import hashlib; print("ntf_" + hashlib.sha256(b"engagement:remote:ct_1#3").hexdigest()[:24])'
func TestEventIDKnownAnswer(t *testing.T) {
	assert.Equal(t, "ntf_5f989dfebdf66aadddd1c165", EventID("engagement:remote:ct_1", 3))
}

func TestEventIDIsStable(t *testing.T) {
	a := EventID("engagement:remote:ct_1", 3)
	assert.Equal(t, a, EventID("engagement:remote:ct_1", 3))
	assert.NotEqual(t, a, EventID("engagement:remote:ct_1", 4))
	assert.NotEqual(t, a, EventID("engagement:remote:ct_2", 3))
	assert.True(t, strings.HasPrefix(a, "ntf_"))
}

func TestSenderSignsWebhooksAndFormatsSlack(t *testing.T) {
	var hook, slack []byte
	var sig, eventID string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/slack" {
			slack = body
			return
		}
		hook, sig, eventID = body, r.Header.Get(HeaderSignature), r.Header.Get("Coverage-Event-Id")
	}))
	defer srv.Close()
	s := &Sender{URLs: []string{srv.URL + "/hook"}, Secret: notifySecret, SlackURL: srv.URL + "/slack",
		UIURL: "http://ui.local:8233/", Namespace: "default", Now: func() time.Time { return sentAt }}
	ev := Event{ID: "ntf_1", Type: EngagementUnprotected, Created: 1796198400, Engagement: Engagement{
		WorkflowID: "engagement:remote:ct_1", Vendor: "remote", EngagementID: "ct_1", CoverageStatus: "UNPROTECTED",
		CertificateStatus: "NONE", Reason: "policy pl_1 cancelled"}}
	for _, d := range s.Destinations() {
		require.NoError(t, s.Send(context.Background(), d, ev))
	}
	// The body and its signature, computed apart from Go:
	//   python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_notify_example", b"1796198400." + open("body","rb").read(), hashlib.sha256).hexdigest())'
	assert.JSONEq(t, sentBody, string(hook))
	assert.Equal(t, "t=1796198400,v1=a2ae3cfd706ec615aaefcaecdf613b08b5f101d1d32441ddd651e5f24dae4546", sig)
	assert.Equal(t, "ntf_1", eventID, "receivers dedupe on Coverage-Event-Id")
	var back map[string]any
	require.NoError(t, json.Unmarshal(hook, &back))
	eng := back["engagement"].(map[string]any)
	for _, k := range []string{"workflow_id", "vendor", "engagement_id", "coverage_status", "certificate_status", "reason", "session_url", "coverage_start", "coverage_end"} {
		assert.Contains(t, eng, k, "SPEC §8: every key present")
	}
	var msg map[string]string
	require.NoError(t, json.Unmarshal(slack, &msg))
	assert.Equal(t, "engagement.unprotected: remote engagement ct_1 is UNPROTECTED (certificate NONE) — policy pl_1 cancelled "+
		"<http://ui.local:8233/namespaces/default/workflows/engagement:remote:ct_1|open in Temporal>", msg["text"])
}

func TestSendErrorsNeverCarryTheURL(t *testing.T) {
	s := &Sender{SlackURL: "http://127.0.0.1:1/services/T000/B000/secret-token"}
	err := s.Send(context.Background(), s.SlackURL, Event{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-token")
	assert.True(t, strings.HasPrefix(err.Error(), "notification to 127.0.0.1:1: "), "the host only: %v", err)

	for _, bad := range []string{"://no-scheme/secret-token", "/relative/secret-token"} {
		err = s.Send(context.Background(), bad, Event{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the configured URL", bad)
		assert.NotContains(t, err.Error(), "secret-token", bad)
	}
}

// Any 2xx is delivered; any other answer is an error naming the host and the status only.
func TestSendAnswers(t *testing.T) {
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	s := &Sender{URLs: []string{srv.URL + "/hook?token=secret-token"}, Secret: notifySecret}
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, status = range []int{200, 202, 204, 299} {
		assert.NoError(t, s.Send(context.Background(), s.URLs[0], Event{ID: "ntf_1"}), "status %d", status)
	}
	for _, status = range []int{300, 404, 500} {
		err := s.Send(context.Background(), s.URLs[0], Event{ID: "ntf_1"})
		assert.EqualError(t, err, fmt.Sprintf("notification to %s: answered %d", host, status))
	}
}

// Verify is the README's receiver check: its known answer, and the near misses it refuses.
func TestVerify(t *testing.T) {
	body := []byte(`{"id":"ntf_0123","type":"engagement.insured"}`)
	const mac = "d50dccc496405b8b8587802a8ce43ac0c457b1da158c0824ce40780ba063193c" // README "Verifying a notification"
	require.NoError(t, Verify(notifySecret, "t=1796198400,v1="+mac, body, sentAt.Add(5*time.Minute), 5*time.Minute))
	for _, tc := range []struct {
		name, secret, header string
		now                  time.Time
		want                 error
	}{
		{"stale", notifySecret, "t=1796198400,v1=" + mac, sentAt.Add(5*time.Minute + time.Second), webhooksig.ErrStale},
		{"from the future", notifySecret, "t=1796198400,v1=" + mac, sentAt.Add(-5*time.Minute - time.Second), webhooksig.ErrStale},
		{"other secret", "whsec_other", "t=1796198400,v1=" + mac, sentAt, webhooksig.ErrNoMatch},
		{"no secret", "", "t=1796198400,v1=" + mac, sentAt, webhooksig.ErrNoMatch},
		{"empty MAC", notifySecret, "t=1796198400,v1=", sentAt, webhooksig.ErrNoMatch},
		{"truncated MAC", notifySecret, "t=1796198400,v1=d50dccc496405b8b8587802a8ce43ac0", sentAt, webhooksig.ErrNoMatch},
		{"upper-case MAC", notifySecret, "t=1796198400,v1=D50DCCC496405B8B8587802A8CE43AC0C457B1DA158C0824CE40780BA063193C", sentAt, webhooksig.ErrMalformed},
		{"wrong algorithm prefix", notifySecret, "t=1796198400,sha256=" + mac, sentAt, webhooksig.ErrMalformed},
		{"missing", notifySecret, "", sentAt, webhooksig.ErrMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, Verify(tc.secret, tc.header, body, tc.now, 5*time.Minute), tc.want)
		})
	}
}

// FuzzVerify: a receiver's check never panics and fails only with webhooksig's errors.
func FuzzVerify(f *testing.F) {
	f.Add("t=1796198400,v1=d50dccc496405b8b8587802a8ce43ac0c457b1da158c0824ce40780ba063193c", []byte(`{"id":"ntf_0123","type":"engagement.insured"}`))
	f.Add("t=1796198400,v1=a2ae3cfd706ec615aaefcaecdf613b08b5f101d1d32441ddd651e5f24dae4546", []byte(sentBody))
	f.Add("t=1796198400,v1=", []byte(sentBody))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify(notifySecret, header, body, sentAt, 5*time.Minute)
		if err == nil {
			// accepted: the header carries the MAC the README defines, for its own t
			var ts int64
			for _, part := range strings.Split(header, ",") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
					ts, _ = strconv.ParseInt(v, 10, 64)
				}
			}
			m := hmac.New(sha256.New, []byte(notifySecret))
			m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
			m.Write(body)
			if !strings.Contains(header, "v1="+hex.EncodeToString(m.Sum(nil))) {
				t.Fatalf("verified %q without the body's MAC", header)
			}
			return
		}
		for _, known := range []error{webhooksig.ErrMissing, webhooksig.ErrMalformed, webhooksig.ErrStale, webhooksig.ErrNoMatch} {
			if errors.Is(err, known) {
				return
			}
		}
		t.Fatalf("error %v is none of webhooksig's", err)
	})
}

// python3 -c 'import hashlib; print("dst_" + hashlib.sha256(b"https://hooks.example.com/coverage").hexdigest()[:16])'
// (and the same for the Slack URL)
func TestDestinations(t *testing.T) {
	const hook, slackURL = "https://hooks.example.com/coverage", "https://hooks.slack.com/services/T000/B000/XXXX"
	assert.Equal(t, "dst_d01189ddabe8d4dd", DestinationID(hook))
	s := &Sender{URLs: []string{hook}, SlackURL: slackURL}
	assert.Equal(t, []string{hook, slackURL}, s.Destinations(), "webhooks, then Slack")
	assert.Equal(t, []string{"dst_d01189ddabe8d4dd", "dst_9fbe5ae849f40a22"}, s.DestinationIDs())
	assert.Empty(t, (&Sender{}).DestinationIDs())

	var nilSender *Sender
	assert.False(t, nilSender.Enabled())
	assert.False(t, (&Sender{Secret: "x"}).Enabled())
	assert.True(t, (&Sender{URLs: []string{hook}}).Enabled())
	assert.True(t, (&Sender{SlackURL: slackURL}).Enabled())
}

// SendTo reaches the destination with this id, and says so when none has it any more.
func TestSendTo(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { paths = append(paths, r.URL.Path) }))
	defer srv.Close()
	s := &Sender{URLs: []string{srv.URL + "/a", srv.URL + "/b"}, Secret: notifySecret}
	found, err := s.SendTo(context.Background(), DestinationID(srv.URL+"/b"), Event{ID: "ntf_1"})
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, []string{"/b"}, paths)
	found, err = s.SendTo(context.Background(), DestinationID(srv.URL+"/removed"), Event{ID: "ntf_1"})
	require.NoError(t, err)
	assert.False(t, found)
	assert.Equal(t, []string{"/b"}, paths, "nothing sent to a removed destination")
}
