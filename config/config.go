// Package config reads the service's settings from the environment (SPEC §5) and the
// mapping file that turns platform client ids and categories into 1099Policy entities,
// category codes and coverage types.
package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.temporal.io/sdk/client"
	"go.yaml.in/yaml/v3"

	"github.com/coverage-orchestrator/coverage/payloadcodec"
	"github.com/coverage-orchestrator/coverage/redact"
)

// Temporal is how to reach Temporal.
type Temporal struct {
	Address   string `env:"TEMPORAL_ADDRESS" envDefault:"localhost:7233"`
	Namespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	TaskQueue string `env:"TEMPORAL_TASK_QUEUE" envDefault:"coverage"`
	// TLS and API key for Temporal Cloud or a secured cluster.
	TLSCertFile string `env:"TEMPORAL_TLS_CERT"`
	TLSKeyFile  string `env:"TEMPORAL_TLS_KEY"`
	APIKey      string `env:"TEMPORAL_API_KEY"`
	// AllowInsecure says a plain connection is intended (Temporal on a private network); only
	// production asks.
	AllowInsecure bool `env:"TEMPORAL_ALLOW_INSECURE" envDefault:"false"`
}

// Policy is how to reach 1099Policy.
type Policy struct {
	APIURL        string `env:"POLICY_API_URL" envDefault:"https://api.1099policy.com"`
	APIKey        string `env:"POLICY_API_KEY,required,notEmpty"`
	Environment   string `env:"POLICY_ENVIRONMENT" envDefault:"sandbox"`
	WebhookSecret string `env:"POLICY_WEBHOOK_SECRET,required,notEmpty"`
	// WebhookVerify is how 1099Policy webhooks are trusted: VerifySignature checks
	// Ten99Policy-Signature; VerifyRefetch takes only the event id and reads the event back.
	WebhookVerify string `env:"POLICY_WEBHOOK_VERIFY" envDefault:"signature"`
	// EventsPollInterval is how often GET /api/v1/events is read back to the last event seen
	// (0 disables the events poller).
	EventsPollInterval time.Duration `env:"POLICY_EVENTS_POLL_INTERVAL" envDefault:"5m"`
	// EventsPageSize is the events poller's page size (1–100; the API's maximum by default).
	EventsPageSize int `env:"POLICY_EVENTS_PAGE_SIZE" envDefault:"100"`
}

// Notify is where the company's notifications go (SPEC §8).
type Notify struct {
	WebhookURLs []string `env:"NOTIFY_WEBHOOK_URLS" envSeparator:","`
	Secret      string   `env:"NOTIFY_WEBHOOK_SECRET"`
	SlackURL    string   `env:"NOTIFY_SLACK_WEBHOOK_URL"`
	// UIURL is the Temporal Web UI's base, for links in Slack messages.
	UIURL string `env:"TEMPORAL_UI_URL" envDefault:"http://localhost:8233"`
	// ApplicationPendingAfter: a session open this long before the start date sends
	// engagement.application_pending (0 disables it).
	ApplicationPendingAfter time.Duration `env:"NOTIFY_APPLICATION_PENDING_AFTER" envDefault:"24h"`
	// GaugeInterval is how often the ingress refreshes the open-engagements gauge from
	// visibility counts.
	GaugeInterval time.Duration `env:"COVERAGE_GAUGE_INTERVAL" envDefault:"30s"`
}

func (n Notify) validate() error {
	for i, u := range n.WebhookURLs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			// the value is not repeated: a receiver's URL may carry a token
			return fmt.Errorf("configuration: NOTIFY_WEBHOOK_URLS entry %d is not an http(s) URL: want http(s) URLs, comma-separated", i+1)
		}
	}
	if len(n.WebhookURLs) > 0 && strings.TrimSpace(n.Secret) == "" {
		return errors.New("configuration: NOTIFY_WEBHOOK_SECRET is required with NOTIFY_WEBHOOK_URLS (receivers verify Coverage-Signature with it)")
	}
	if n.GaugeInterval <= 0 {
		return errors.New("configuration: COVERAGE_GAUGE_INTERVAL must be positive")
	}
	return nil
}

// The 1099Policy webhook verification modes (POLICY_WEBHOOK_VERIFY).
const (
	VerifySignature = "signature"
	VerifyRefetch   = "refetch"
)

func (p Policy) validate() error {
	if p.WebhookVerify != VerifySignature && p.WebhookVerify != VerifyRefetch {
		return fmt.Errorf("configuration: POLICY_WEBHOOK_VERIFY is %q: want %s or %s", p.WebhookVerify, VerifySignature, VerifyRefetch)
	}
	if p.EventsPageSize < 1 || p.EventsPageSize > 100 {
		return fmt.Errorf("configuration: POLICY_EVENTS_PAGE_SIZE is %d: want 1 to 100", p.EventsPageSize)
	}
	if p.EventsPollInterval < 0 {
		return fmt.Errorf("configuration: POLICY_EVENTS_POLL_INTERVAL is %s: want 0 (off) or a positive duration", p.EventsPollInterval)
	}
	return nil
}

// Platform is one contractor platform's connection. A platform without APIURL is disabled.
type Platform struct {
	APIURL        string
	WebhookSecret string
	Token         string // Remote company token; WorkMarket API token; Upwork access token
	Secret        string // WorkMarket API secret
	ClientID      string // Remote partner app, JobDiva, Upwork
	ClientSecret  string // Remote partner app, Upwork
	RefreshToken  string // Remote partner app, Upwork
	TenantID      string // Upwork
	TokenURL      string // Upwork's token endpoint
	TokenFile     string // where Upwork's newest refresh token is kept
	Username      string // JobDiva
	Password      string // JobDiva
	PollInterval  time.Duration
}

// Enabled reports whether the platform is configured.
func (p Platform) Enabled() bool { return p.APIURL != "" }

type platforms struct {
	RemoteURL         string        `env:"REMOTE_API_URL"`
	RemoteSecret      string        `env:"REMOTE_WEBHOOK_SECRET"`
	RemoteToken       string        `env:"REMOTE_API_TOKEN"`
	RemoteClientID    string        `env:"REMOTE_CLIENT_ID"`
	RemoteClientSec   string        `env:"REMOTE_CLIENT_SECRET"`
	RemoteRefresh     string        `env:"REMOTE_REFRESH_TOKEN"`
	RemotePoll        time.Duration `env:"REMOTE_POLL_INTERVAL" envDefault:"5m"`
	WorkMarketURL     string        `env:"WORKMARKET_API_URL"`
	WorkMarketSecret  string        `env:"WORKMARKET_WEBHOOK_SECRET"`
	WorkMarketToken   string        `env:"WORKMARKET_API_TOKEN"`
	WorkMarketSecret2 string        `env:"WORKMARKET_API_SECRET"`
	WorkMarketPoll    time.Duration `env:"WORKMARKET_POLL_INTERVAL" envDefault:"5m"`
	UpworkURL         string        `env:"UPWORK_API_URL"`
	UpworkSecret      string        `env:"UPWORK_WEBHOOK_SECRET"`
	UpworkToken       string        `env:"UPWORK_ACCESS_TOKEN"`
	UpworkClientID    string        `env:"UPWORK_CLIENT_ID"`
	UpworkClientSec   string        `env:"UPWORK_CLIENT_SECRET"`
	UpworkRefresh     string        `env:"UPWORK_REFRESH_TOKEN"`
	UpworkTokenURL    string        `env:"UPWORK_TOKEN_URL" envDefault:"https://www.upwork.com/api/v3/oauth2/token"`
	UpworkTokenFile   string        `env:"UPWORK_REFRESH_TOKEN_FILE"`
	UpworkTenant      string        `env:"UPWORK_TENANT_ID"`
	UpworkPoll        time.Duration `env:"UPWORK_POLL_INTERVAL" envDefault:"5m"`
	JobDivaURL        string        `env:"JOBDIVA_API_URL"`
	JobDivaSecret     string        `env:"JOBDIVA_WEBHOOK_SECRET"`
	JobDivaClientID   string        `env:"JOBDIVA_CLIENT_ID"`
	JobDivaUsername   string        `env:"JOBDIVA_USERNAME"`
	JobDivaPassword   string        `env:"JOBDIVA_PASSWORD"`
	JobDivaPoll       time.Duration `env:"JOBDIVA_POLL_INTERVAL" envDefault:"5m"`
}

// Config is every setting of the worker and the ingress.
type Config struct {
	Temporal   Temporal
	Deployment Deployment
	Policy     Policy

	ListenAddr  string `env:"LISTEN_ADDR" envDefault:":8080"`
	MetricsAddr string `env:"METRICS_ADDR" envDefault:":9090"`
	// IngressMetricsAddr, when set, moves the ingress's /metrics off LISTEN_ADDR onto its own
	// listener (kept off the public interface; docker-compose sets it).
	IngressMetricsAddr string `env:"INGRESS_METRICS_ADDR"`
	// WorkflowCacheSize bounds the worker's sticky workflow cache (memory per open engagement).
	WorkflowCacheSize int    `env:"TEMPORAL_WORKFLOW_CACHE_SIZE" envDefault:"2000"`
	OpsAPIToken       string `env:"OPS_API_TOKEN"`
	// UnauthenticatedRate and UnauthenticatedBurst are the ingress's token bucket per source
	// address for failed and unauthenticated requests (per second; bucket size).
	UnauthenticatedRate  float64 `env:"INGRESS_UNAUTHENTICATED_RATE" envDefault:"10"`
	UnauthenticatedBurst int     `env:"INGRESS_UNAUTHENTICATED_BURST" envDefault:"100"`
	ProxyEmailDomain     string  `env:"PROXY_EMAIL_DOMAIN" envDefault:"relay.example.com"`
	SessionSuccess       string  `env:"SESSION_SUCCESS_URL" envDefault:"http://localhost:8080/v1/engagements/{vendor}/{engagement_id}?coverage=active"`
	SessionCancel        string  `env:"SESSION_CANCEL_URL" envDefault:"http://localhost:8080/v1/engagements/{vendor}/{engagement_id}?coverage=canceled"`
	MappingFile          string  `env:"MAPPING_FILE"`
	// CoverageHorizonText is COVERAGE_HORIZON: "90d" or a Go duration ("2160h").
	CoverageHorizonText string        `env:"COVERAGE_HORIZON" envDefault:"90d"`
	CoverageHorizon     time.Duration `env:"-"`
	// WorkMarketCOIPattern picks the assignment attachments that are certificates; empty means
	// the adapter's default, (?i)\b(coi|certificate of insurance|insurance)\b (kept out of the
	// struct tag, whose unquoting would turn \b into a backspace).
	WorkMarketCOIPattern string `env:"WORKMARKET_COI_PATTERN"`
	LogFormat            string `env:"LOG_FORMAT" envDefault:"json"` // json (production) or console
	// CPUProfile is CPU_PROFILE: a file the process writes a pprof CPU profile of its whole
	// run to when it stops (off when empty; make bench profiles the ingress with it).
	CPUProfile string `env:"CPU_PROFILE"`

	// PayloadKeys is PAYLOAD_ENCRYPTION_KEYS ("<id>:<base64 32 bytes>,…"; the first encrypts).
	PayloadKeySpec string `env:"PAYLOAD_ENCRYPTION_KEYS"`
	// CodecCORSOrigins may call the codec endpoints from a browser (the Temporal Web UI).
	CodecCORSOrigins []string `env:"CODEC_CORS_ORIGINS" envSeparator:","`
	// CodecLocalUIWithoutToken lets a browser from CodecCORSOrigins decode without the ops
	// token (the UI cannot send one). Only for the local stack: refused in production and
	// unless the ingress listens on loopback.
	CodecLocalUIWithoutToken bool              `env:"CODEC_LOCAL_UI_WITHOUT_TOKEN" envDefault:"false"`
	PayloadKeys              payloadcodec.Keys `env:"-"`

	Notify Notify

	// The operations console (/console/ on the ingress), off unless CONSOLE_ENABLED=true.
	ConsoleEnabled bool `env:"CONSOLE_ENABLED" envDefault:"false"`
	// ConsoleUsers are "name:bcrypt-hash" entries; when set they sign in instead of the ops token.
	ConsoleUsers []string `env:"CONSOLE_USERS" envSeparator:","`
	// ConsoleSessionKey signs the console's cookies (every replica the same); derived from
	// OPS_API_TOKEN when empty.
	ConsoleSessionKey string        `env:"CONSOLE_SESSION_KEY"`
	ConsoleSessionTTL time.Duration `env:"CONSOLE_SESSION_TTL" envDefault:"8h"`
	// ConsoleTemporalUIURL is the Temporal UI's namespace URL the console links engagements to.
	ConsoleTemporalUIURL string `env:"CONSOLE_TEMPORAL_UI_URL"`

	Platforms map[string]Platform `env:"-"` // by vendor name
	Mapping   Mapping             `env:"-"`
}

// Vendors in a fixed order.
var Vendors = []string{"remote", "workmarket", "upwork", "jobdiva"}

// Load reads the environment and the mapping file. A missing required setting fails with one
// line naming it.
func Load() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		var agg env.AggregateError
		if errors.As(err, &agg) && len(agg.Errors) > 0 {
			return c, fmt.Errorf("configuration: %v", agg.Errors[0])
		}
		return c, fmt.Errorf("configuration: %w", err)
	}
	if err := c.checkEnvironment(); err != nil {
		return c, err
	}
	if err := c.Policy.validate(); err != nil {
		return c, err
	}
	if err := c.Deployment.resolve(c.Policy.Environment == "production"); err != nil {
		return c, err
	}
	if err := c.loadPayloadKeys(); err != nil {
		return c, err
	}
	if err := c.Notify.validate(); err != nil {
		return c, err
	}
	if c.UnauthenticatedRate <= 0 || c.UnauthenticatedBurst < 1 {
		return c, fmt.Errorf("configuration: INGRESS_UNAUTHENTICATED_RATE (%g) and INGRESS_UNAUTHENTICATED_BURST (%d) must be positive", c.UnauthenticatedRate, c.UnauthenticatedBurst)
	}
	var err error
	if c.CoverageHorizon, err = ParseDays(c.CoverageHorizonText); err != nil || c.CoverageHorizon < 14*24*time.Hour {
		return c, fmt.Errorf("configuration: COVERAGE_HORIZON is %q: want days like 90d (at least 14d, the notice before an extension)", c.CoverageHorizonText)
	}
	if _, err := regexp.Compile(c.WorkMarketCOIPattern); err != nil {
		return c, fmt.Errorf("configuration: WORKMARKET_COI_PATTERN is not a regular expression: %v", err)
	}
	var p platforms
	if err := env.Parse(&p); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	c.Platforms = map[string]Platform{
		"remote": {APIURL: p.RemoteURL, WebhookSecret: p.RemoteSecret, Token: p.RemoteToken, ClientID: p.RemoteClientID,
			ClientSecret: p.RemoteClientSec, RefreshToken: p.RemoteRefresh, PollInterval: p.RemotePoll},
		"workmarket": {APIURL: p.WorkMarketURL, WebhookSecret: p.WorkMarketSecret, Token: p.WorkMarketToken, Secret: p.WorkMarketSecret2,
			PollInterval: p.WorkMarketPoll},
		"upwork": {APIURL: p.UpworkURL, WebhookSecret: p.UpworkSecret, Token: p.UpworkToken, TenantID: p.UpworkTenant, PollInterval: p.UpworkPoll,
			ClientID: p.UpworkClientID, ClientSecret: p.UpworkClientSec, RefreshToken: p.UpworkRefresh, TokenURL: p.UpworkTokenURL,
			TokenFile: p.UpworkTokenFile},
		"jobdiva": {APIURL: p.JobDivaURL, WebhookSecret: p.JobDivaSecret, ClientID: p.JobDivaClientID, Username: p.JobDivaUsername, Password: p.JobDivaPassword, PollInterval: p.JobDivaPoll},
	}
	redact.Register(c.Secrets()...)
	if err := c.checkProduction(); err != nil {
		return c, err
	}
	if c.MappingFile != "" {
		m, err := LoadMapping(c.MappingFile)
		if err != nil {
			return c, err
		}
		c.Mapping = m
	}
	return c, nil
}

func (c *Config) loadPayloadKeys() error {
	keys, err := payloadcodec.ParseKeys(c.PayloadKeySpec)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	c.PayloadKeys = keys
	if c.CodecLocalUIWithoutToken && !c.Production() {
		if !loopback(c.ListenAddr) {
			return fmt.Errorf("configuration: CODEC_LOCAL_UI_WITHOUT_TOKEN needs LISTEN_ADDR on loopback (127.0.0.1 or localhost), not %q", c.ListenAddr)
		}
	}
	return nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListensOnLoopback reports an ingress reachable from this machine only (the local stack).
func (c Config) ListensOnLoopback() bool { return loopback(c.ListenAddr) }

// Warnings are settings that work but deserve one line at start-up.
func (c Config) Warnings() []string {
	if len(c.PayloadKeys) == 0 {
		return []string{"PAYLOAD_ENCRYPTION_KEYS is not set: payloads (with contractors' personal data) reach Temporal unencrypted; acceptable for a sandbox only"}
	}
	return nil
}

// ClientOptions are the Temporal client options with the payload codec and the failure
// converter every client of the service uses (worker, ingress, pollers, tests' helpers).
func (c Config) ClientOptions() (client.Options, error) {
	opts, err := c.Temporal.ClientOptions()
	if err != nil {
		return opts, err
	}
	opts.DataConverter = payloadcodec.DataConverter(c.PayloadKeys)
	opts.FailureConverter = payloadcodec.FailureConverter(c.PayloadKeys)
	return opts, nil
}

// ParseDays reads "<n>d" (days) or a Go duration.
func ParseDays(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, err
		}
		if maxDays := int(math.MaxInt64 / int64(24*time.Hour)); days > maxDays || days < -maxDays {
			return 0, fmt.Errorf("%q is more days than a duration holds", v) // it would wrap around
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// RequireOpsToken fails when the ingress has no operator token.
func (c Config) RequireOpsToken() error {
	if strings.TrimSpace(c.OpsAPIToken) == "" {
		return errors.New(`configuration: required environment variable "OPS_API_TOKEN" is not set`)
	}
	return nil
}

// Mapping turns platform values into 1099Policy values; keys are "<vendor>/<value>".
type Mapping struct {
	Entities            map[string]string   `yaml:"entities" json:"entities"`
	Categories          map[string]string   `yaml:"categories" json:"categories"`
	Coverage            map[string][]string `yaml:"coverage" json:"coverage"`
	DefaultEntity       string              `yaml:"default_entity" json:"default_entity"`
	DefaultCategoryCode string              `yaml:"default_category_code" json:"default_category_code"`
	DefaultCoverage     []string            `yaml:"default_coverage" json:"default_coverage"`
}

// LoadMapping reads a mapping YAML file.
func LoadMapping(path string) (Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping file: %w", err)
	}
	return ParseMapping(data)
}

// ParseMapping parses mapping YAML, refusing unknown keys so a typo does not go unnoticed.
func ParseMapping(data []byte) (Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && err.Error() != "EOF" {
		return Mapping{}, fmt.Errorf("mapping file: %w", err)
	}
	return m, nil
}

// MissingMappingError names the mapping key an engagement needs.
type MissingMappingError struct {
	Kind string // entity or category
	Key  string // <vendor>/<value>
}

func (e *MissingMappingError) Error() string {
	return fmt.Sprintf("no %s mapping for %q and no default", e.Kind, e.Key)
}

// Entity maps a platform client id to a 1099Policy entity.
func (m Mapping) Entity(vendor, clientID string) (string, error) {
	key := vendor + "/" + clientID
	if v, ok := m.Entities[key]; ok && v != "" {
		return v, nil
	}
	if m.DefaultEntity != "" {
		return m.DefaultEntity, nil
	}
	return "", &MissingMappingError{Kind: "entity", Key: key}
}

// CategoryCode maps a platform category to a 1099Policy category code.
func (m Mapping) CategoryCode(vendor, category string) (string, error) {
	key := vendor + "/" + category
	if v, ok := m.Categories[key]; ok && v != "" {
		return v, nil
	}
	if m.DefaultCategoryCode != "" {
		return m.DefaultCategoryCode, nil
	}
	return "", &MissingMappingError{Kind: "category", Key: key}
}

// CoverageTypes maps a platform client id to coverage types ([general] when nothing says).
func (m Mapping) CoverageTypes(vendor, clientID string) []string {
	if v, ok := m.Coverage[vendor+"/"+clientID]; ok && len(v) > 0 {
		return v
	}
	if len(m.DefaultCoverage) > 0 {
		return m.DefaultCoverage
	}
	return []string{"general"}
}

// SessionURL fills the {vendor} and {engagement_id} placeholders of a return-URL template.
func SessionURL(template, vendor, engagementID string) string {
	return strings.NewReplacer("{vendor}", vendor, "{engagement_id}", engagementID).Replace(template)
}
