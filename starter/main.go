// Command starter is the ingress: platform and 1099Policy webhooks become Temporal signals,
// answered 2xx only once Temporal has accepted them; operators read and act on engagements
// through /v1. Configuration comes from the environment (README).
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/console"
	"github.com/coverage-orchestrator/coverage/payloadcodec"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/startup"
	"github.com/coverage-orchestrator/coverage/vendors/all"
)

func main() { startup.Main("starter", startup.Lazy, run, config.Config.RequireOpsToken) }

func run(ctx context.Context, svc *startup.Service) error {
	cfg, c, logger, metrics := svc.Config, svc.Client, svc.Logger, svc.Metrics

	srv := &Server{Temporal: c, TaskQueue: cfg.Temporal.TaskQueue, Adapters: all.Adapters(cfg),
		PolicyVerify: pc.Verifier{Secret: cfg.Policy.WebhookSecret}, PolicyRefetch: cfg.Policy.WebhookVerify == config.VerifyRefetch, OpsToken: cfg.OpsAPIToken, Logger: logger,
		Limits:   &SourceLimiter{Rate: rate.Limit(cfg.UnauthenticatedRate), Burst: cfg.UnauthenticatedBurst, MaxSources: 100_000},
		Registry: metrics.Registry, MetricsHTTP: metrics.HTTPHandler(), MetricsOwnListener: cfg.IngressMetricsAddr != "",
		Policy: pc.New(pc.Config{BaseURL: cfg.Policy.APIURL, APIKey: cfg.Policy.APIKey, Environment: cfg.Policy.Environment}),
		Codec:  CodecServer{Origins: cfg.CodecCORSOrigins, LocalUIWithoutToken: cfg.CodecLocalUIWithoutToken}}
	if len(cfg.PayloadKeys) > 0 {
		var err error
		srv.Codec.Codec, err = payloadcodec.NewCodec(cfg.PayloadKeys)
		if err != nil {
			return err
		}
	}
	if cfg.ConsoleEnabled {
		var err error
		if srv.Console, err = consoleConfig(cfg); err != nil {
			return err
		}
	}
	httpServer := &http.Server{Addr: cfg.ListenAddr, Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: WriteTimeout}

	go srv.RefreshGauges(ctx, cfg.Notify.GaugeInterval)
	errc := make(chan error, 2)
	go func() { errc <- httpServer.ListenAndServe() }()
	if cfg.IngressMetricsAddr != "" {
		metricsServer := &http.Server{Addr: cfg.IngressMetricsAddr, Handler: metricsOnly(srv.MetricsHTTP), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- metricsServer.ListenAndServe() }()
		defer metricsServer.Close()
	}
	logger.Info("ingress listening", zap.String("addr", cfg.ListenAddr), zap.Strings("platforms", srv.Adapters.Names()))
	if srv.Console != nil {
		logger.Info("operations console enabled", zap.String("path", console.Prefix))
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdown); err != nil {
		return err
	}
	logger.Info("ingress stopped after finishing in-flight requests")
	return nil
}

// consoleConfig is the console's configuration; a bad CONSOLE_USERS entry stops start-up.
func consoleConfig(cfg config.Config) (*console.Config, error) {
	users, err := console.ParseUsers(cfg.ConsoleUsers)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	key := []byte(cfg.ConsoleSessionKey)
	if len(key) == 0 {
		// Every replica derives the same key, so a session signed by one is good at all.
		sum := sha256.Sum256([]byte("coverage console session key\x00" + cfg.OpsAPIToken))
		key = sum[:]
	}
	return &console.Config{OpsToken: cfg.OpsAPIToken, Users: users, SessionKey: key, SessionTTL: cfg.ConsoleSessionTTL,
		Secure: !cfg.ListensOnLoopback(), TemporalUIURL: cfg.ConsoleTemporalUIURL}, nil
}
