package platformsim

import (
	"testing"
	"time"
)

// The simulators sign as the platforms do: vendors.md's known answers, which were not computed
// with this code.
func TestSignatureHeadersKnownAnswers(t *testing.T) {
	for _, tc := range []struct{ platform, secret, body, header, want string }{
		{"remote", "wkyzvs764ifdrpct2naqhksmq4",
			`{"event_type":"employment.onboarding.completed","company_id":"9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b","employment_id":"2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}`,
			"X-Remote-Signature", "ed5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438"},
		{"remote", "wkyzvs764ifdrpct2naqhksmq4", `{}`, "X-Remote-Timestamp", "1700000000000"},
		{"upwork", "upwork_relay_secret",
			`{"event":"contract.started","event_id":"evt_01J9","contract_id":"41815410","occurred_at":"2026-11-20T10:00:00Z"}`,
			"X-Upwork-Signature", "sha256=481d59c35d6c91058471113edb41a689a9b16615aef74c96393afca41a0cd95d"},
		{"jobdiva", "jobdiva", `{"type":"candidate","operation":"Update","id":"12345","data":[]}`,
			"X-Hub-Signature", "sha1=d993778d5c4171aab887ae3ebe050ef5a3b07915"},
		{"workmarket", "wm-secret", `{}`, "X-WorkMarket-Secret", "wm-secret"},
	} {
		got := SignatureHeaders(tc.platform, tc.secret, []byte(tc.body), time.UnixMilli(1700000000000))
		if got[tc.header] != tc.want {
			t.Errorf("%s: %s = %q, vendors.md says %q", tc.platform, tc.header, got[tc.header], tc.want)
		}
	}
}
