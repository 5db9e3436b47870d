// Package all builds the enabled platform adapters from the configuration; the worker and the
// ingress both use it.
package all

import (
	"os"
	"strings"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// Adapters returns the adapters of every platform that has an API URL.
func Adapters(cfg config.Config) vendors.Registry {
	r := vendors.Registry{}
	if p := cfg.Platforms[remote.Vendor]; p.Enabled() {
		r[remote.Vendor] = remote.New(remote.Config{APIURL: p.APIURL, Token: p.Token, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			RefreshToken: p.RefreshToken, WebhookSecret: p.WebhookSecret})
	}
	if p := cfg.Platforms[workmarket.Vendor]; p.Enabled() {
		r[workmarket.Vendor] = workmarket.New(workmarket.Config{APIURL: p.APIURL, Token: p.Token, Secret: p.Secret,
			WebhookSecret: p.WebhookSecret, COIPattern: cfg.WorkMarketCOIPattern})
	}
	if p := cfg.Platforms[upwork.Vendor]; p.Enabled() {
		r[upwork.Vendor] = upwork.New(upwork.Config{APIURL: p.APIURL, AccessToken: p.Token, TenantID: p.TenantID, WebhookSecret: p.WebhookSecret,
			TokenURL: p.TokenURL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			RefreshToken: newestRefreshToken(p.TokenFile, p.RefreshToken), OnRotate: keepRefreshToken(p.TokenFile)})
	}
	if p := cfg.Platforms[jobdiva.Vendor]; p.Enabled() {
		r[jobdiva.Vendor] = jobdiva.New(jobdiva.Config{APIURL: p.APIURL, ClientID: p.ClientID, Username: p.Username, Password: p.Password, WebhookSecret: p.WebhookSecret})
	}
	return r
}

// newestRefreshToken is the refresh token kept in file (the newest Upwork handed out), else
// the configured one. Upwork may rotate refresh tokens: the newest must survive a restart,
// and replicas sharing the file (a shared volume) start from the same one.
func newestRefreshToken(file, configured string) string {
	if file == "" {
		return configured
	}
	data, err := os.ReadFile(file)
	if err != nil || strings.TrimSpace(string(data)) == "" {
		return configured
	}
	return strings.TrimSpace(string(data))
}

// keepRefreshToken writes a rotated refresh token to file (atomically, owner-only).
func keepRefreshToken(file string) func(string) {
	if file == "" {
		return nil
	}
	return func(token string) {
		tmp := file + ".tmp"
		if os.WriteFile(tmp, []byte(token+"\n"), 0o600) == nil {
			_ = os.Rename(tmp, file)
		}
	}
}
