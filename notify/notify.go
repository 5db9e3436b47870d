// Package notify tells a company when coverage is at risk (SPEC §8): the event catalogue, the
// signed webhook body, the Slack message, and the helper a receiver uses to verify a
// signature. Bodies never carry a name, email, phone or address.
package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/redact"
	"github.com/coverage-orchestrator/coverage/webhooksig"
)

// The event catalogue: one event per transition that matters to a company.
const (
	EngagementInsured            = "engagement.insured"
	EngagementUnprotected        = "engagement.unprotected"
	EngagementNeedsAttention     = "engagement.needs_attention"
	EngagementApplicationPending = "engagement.application_pending"
	CertificateFlagged           = "certificate.flagged"
	EngagementEnded              = "engagement.ended"
	EngagementCanceled           = "engagement.canceled"
)

// Types lists every event type.
var Types = []string{EngagementInsured, EngagementUnprotected, EngagementNeedsAttention, EngagementApplicationPending,
	CertificateFlagged, EngagementEnded, EngagementCanceled}

// HeaderSignature carries the webhooksig scheme: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
const HeaderSignature = "Coverage-Signature"

// Verify checks a Coverage-Signature header the way the README tells a receiver to: one v1
// entry is the lower-case HMAC-SHA256 of "<t>.<body>" under secret, and t is within tolerance
// of now. The errors are webhooksig's (ErrMissing, ErrMalformed, ErrStale, ErrNoMatch).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	return webhooksig.Verify(header, body, now, tolerance, secret)
}

// Event is the body of one notification; every key is always present.
type Event struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Created    int64      `json:"created"`
	Engagement Engagement `json:"engagement"`
}

// Engagement is what a notification says about its engagement: ids and statuses only.
type Engagement struct {
	WorkflowID        string `json:"workflow_id"`
	Vendor            string `json:"vendor"`
	EngagementID      string `json:"engagement_id"`
	CoverageStatus    string `json:"coverage_status"`
	CertificateStatus string `json:"certificate_status"`
	Reason            string `json:"reason"`
	SessionURL        string `json:"session_url"`
	CoverageStart     int64  `json:"coverage_start"`
	CoverageEnd       int64  `json:"coverage_end"`
}

// EventID is stable for one engagement's n-th notification: a retried activity, a restarted
// worker or a replayed workflow sends the same id, so receivers dedupe on it.
func EventID(workflowID string, seq int) string {
	sum := sha256.Sum256([]byte(workflowID + "#" + strconv.Itoa(seq)))
	return "ntf_" + hex.EncodeToString(sum[:12])
}

// SlackText is the one-line Slack message, with a link to the engagement in the Temporal UI.
func SlackText(ev Event, uiURL, namespace string) string {
	e := ev.Engagement
	line := fmt.Sprintf("%s: %s engagement %s is %s (certificate %s)", ev.Type, e.Vendor, e.EngagementID, e.CoverageStatus, e.CertificateStatus)
	if e.Reason != "" {
		line += " — " + e.Reason
	}
	if uiURL != "" {
		link := strings.TrimRight(uiURL, "/") + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(e.WorkflowID)
		line += " <" + link + "|open in Temporal>"
	}
	return line
}

// Sender delivers notifications: signed JSON to every webhook URL, and a Slack message when a
// Slack incoming-webhook URL is set.
type Sender struct {
	URLs      []string
	Secret    string
	SlackURL  string
	UIURL     string // Temporal Web UI base, for the Slack link
	Namespace string
	Client    *http.Client
	Now       func() time.Time
}

// Enabled reports whether any destination is configured.
func (s *Sender) Enabled() bool { return s != nil && (len(s.URLs) > 0 || s.SlackURL != "") }

// Destinations lists every destination in a fixed order (webhooks, then Slack).
func (s *Sender) Destinations() []string {
	out := append([]string{}, s.URLs...)
	if s.SlackURL != "" {
		out = append(out, s.SlackURL)
	}
	return out
}

// Send posts ev to one destination; an error names the destination's host and status only.
func (s *Sender) Send(ctx context.Context, destination string, ev Event) error {
	var body []byte
	var err error
	slack := destination == s.SlackURL && s.SlackURL != ""
	if slack {
		body, err = json.Marshal(map[string]string{"text": SlackText(ev, s.UIURL, s.Namespace)})
	} else {
		body, err = json.Marshal(ev)
	}
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, destination, bytes.NewReader(body))
	if err != nil {
		// the cause only: url.Parse's error quotes the whole URL
		return fmt.Errorf("notification destination %s: %w", hostOf(destination), redact.Cause(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if !slack {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		req.Header.Set(HeaderSignature, webhooksig.Sign(s.Secret, now(), body))
		req.Header.Set("Coverage-Event-Id", ev.ID)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		// the host only: the URL's path may hold a secret (Slack's does)
		return fmt.Errorf("notification to %s: %w", hostOf(destination), redact.Cause(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("notification to %s: answered %d", hostOf(destination), resp.StatusCode)
	}
	return nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "the configured URL"
}
