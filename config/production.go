package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// The 1099Policy environments (POLICY_ENVIRONMENT), sent as the Ten99Policy-Environment header.
const (
	EnvironmentSandbox    = "sandbox"
	EnvironmentProduction = "production"
)

// MinOpsTokenLength is the shortest OPS_API_TOKEN production accepts (the token opens every
// operator route and decodes every payload through the codec).
const MinOpsTokenLength = 32

// Production reports POLICY_ENVIRONMENT=production.
func (c Config) Production() bool { return c.Policy.Environment == EnvironmentProduction }

// checkEnvironment refuses a POLICY_ENVIRONMENT that is neither sandbox nor production: a
// typo ("prod", "Production") would skip every production check below and reach 1099Policy
// as the environment header.
func (c Config) checkEnvironment() error {
	switch c.Policy.Environment {
	case EnvironmentSandbox, EnvironmentProduction:
		return nil
	}
	return fmt.Errorf("configuration: POLICY_ENVIRONMENT is %q: want %s or %s", c.Policy.Environment, EnvironmentSandbox, EnvironmentProduction)
}

// productionRefusals lists every setting production refuses, one line each naming it. Outside
// production it is empty.
func (c Config) productionRefusals() []string {
	if !c.Production() {
		return nil
	}
	var out []string
	refuse := func(format string, args ...any) { out = append(out, fmt.Sprintf("configuration: "+format, args...)) }
	requireHTTPS := func(setting, raw string) {
		if raw != "" && !isHTTPS(raw) {
			refuse("%s must be an https:// URL with POLICY_ENVIRONMENT=production (it carries credentials or personal data), not %s", setting, schemeOf(raw))
		}
	}
	if len(c.PayloadKeys) == 0 {
		refuse("PAYLOAD_ENCRYPTION_KEYS is required with POLICY_ENVIRONMENT=production (contractors' personal data must not reach Temporal unencrypted)")
	}
	if c.CodecLocalUIWithoutToken {
		refuse("CODEC_LOCAL_UI_WITHOUT_TOKEN is refused with POLICY_ENVIRONMENT=production (it lets a browser decode payloads without the ops token)")
	}
	for _, origin := range c.CodecCORSOrigins {
		if !isHTTPS(origin) {
			refuse("CODEC_CORS_ORIGINS must hold only https:// origins with POLICY_ENVIRONMENT=production, not %s (a laptop's UI)", schemeOf(origin))
			break
		}
	}
	t := c.Temporal
	if t.TLSCertFile == "" && t.APIKey == "" && !t.AllowInsecure {
		refuse("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY or TEMPORAL_API_KEY is required with POLICY_ENVIRONMENT=production (set TEMPORAL_ALLOW_INSECURE=true only when Temporal is on a private network)")
	}
	if c.OpsAPIToken != "" && len(c.OpsAPIToken) < MinOpsTokenLength {
		refuse("OPS_API_TOKEN has %d characters: want at least %d with POLICY_ENVIRONMENT=production", len(c.OpsAPIToken), MinOpsTokenLength)
	}
	requireHTTPS("POLICY_API_URL", c.Policy.APIURL)
	for _, name := range Vendors {
		p := c.Platforms[name]
		if !p.Enabled() {
			continue
		}
		prefix := strings.ToUpper(name)
		requireHTTPS(prefix+"_API_URL", p.APIURL)
		if p.TokenURL != "" {
			requireHTTPS(prefix+"_TOKEN_URL", p.TokenURL)
		}
		if len(pc.SecretList(p.WebhookSecret)) == 0 {
			refuse("%s_WEBHOOK_SECRET is required with POLICY_ENVIRONMENT=production while %s_API_URL enables %s (its webhooks would be refused or unverified)", prefix, prefix, name)
		}
	}
	for _, u := range c.Notify.WebhookURLs {
		if !isHTTPS(u) {
			refuse("NOTIFY_WEBHOOK_URLS must hold only https:// URLs with POLICY_ENVIRONMENT=production, not %s", schemeOf(u))
			break
		}
	}
	requireHTTPS("NOTIFY_SLACK_WEBHOOK_URL", c.Notify.SlackURL)
	return out
}

// checkProduction stops start-up on the first refusal, as one line naming the setting (the
// next one, if any, shows at the next start).
func (c Config) checkProduction() error {
	if lines := c.productionRefusals(); len(lines) > 0 {
		return errors.New(lines[0])
	}
	return nil
}

func isHTTPS(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// schemeOf names a URL's scheme without the rest (which may hold a secret, as Slack's does).
func schemeOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" {
		return "a URL without a scheme"
	}
	return u.Scheme + "://"
}
