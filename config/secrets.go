package config

import (
	"strings"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// Secrets lists every secret value of the configuration (keys, tokens, passwords, webhook
// secrets, the Slack URL, which is itself a credential). Load registers them with
// redact.Register, so no error text or log line can carry one.
func (c Config) Secrets() []string {
	out := []string{c.Policy.APIKey, c.Temporal.APIKey, c.OpsAPIToken, c.Notify.Secret, c.Notify.SlackURL}
	out = append(out, pc.SecretList(c.Policy.WebhookSecret)...)
	for _, k := range strings.Split(c.PayloadKeySpec, ",") {
		if _, key, ok := strings.Cut(k, ":"); ok {
			out = append(out, key)
		}
	}
	for _, name := range Vendors {
		p := c.Platforms[name]
		out = append(out, p.Token, p.Secret, p.ClientSecret, p.RefreshToken, p.Password)
		out = append(out, pc.SecretList(p.WebhookSecret)...)
	}
	return out
}
