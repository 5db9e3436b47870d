// Package all builds the enabled platform adapters from the configuration; the worker and the
// ingress both use it.
package all

import (
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
			RefreshToken: p.RefreshToken, Store: upworkTokenFile(p)})
	}
	if p := cfg.Platforms[jobdiva.Vendor]; p.Enabled() {
		r[jobdiva.Vendor] = jobdiva.New(jobdiva.Config{APIURL: p.APIURL, ClientID: p.ClientID, Username: p.Username, Password: p.Password, WebhookSecret: p.WebhookSecret})
	}
	return r
}

// upworkTokenFile is where Upwork's newest refresh token is kept (UPWORK_REFRESH_TOKEN_FILE),
// or nil: the configured token is then used after every restart.
func upworkTokenFile(p config.Platform) vendors.RefreshStore {
	if p.TokenFile == "" {
		return nil
	}
	return &upwork.TokenFile{Path: p.TokenFile, Configured: p.RefreshToken}
}
