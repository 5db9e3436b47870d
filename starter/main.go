// Command starter is the ingress: platform and 1099Policy webhooks become Temporal signals,
// answered 2xx only once Temporal has accepted them; operators read and act on engagements
// through /v1. Configuration comes from the environment (README).
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/payloadcodec"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/telemetry"
	"github.com/coverage-orchestrator/coverage/vendors/all"
	"github.com/coverage-orchestrator/coverage/workflows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := cfg.RequireOpsToken(); err != nil {
		return err
	}
	opts, err := cfg.ClientOptions()
	if err != nil {
		return err
	}
	rt, err := telemetry.Start(cfg.LogFormat, opts)
	if err != nil {
		return err
	}
	defer rt.Close()
	logger, metrics, opts := rt.Logger, rt.Metrics, rt.ClientOptions
	for _, w := range cfg.Warnings() {
		logger.Warn(w)
	}
	// Lazy: the ingress starts (and answers /healthz, and 503 on webhooks) while Temporal is down.
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return err
	}
	defer c.Close()

	// A namespace without the search attributes stops start-up; Temporal being down does not
	// (the ingress answers 503 until it is back).
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), 10*time.Second)
	if _, herr := c.CheckHealth(checkCtx, &client.CheckHealthRequest{}); herr == nil {
		err = workflows.CheckSearchAttributes(checkCtx, c, cfg.Temporal.Namespace)
	} else {
		logger.Warn("Temporal is not reachable at start-up; the search attributes are not checked", zap.Error(herr))
	}
	cancelCheck()
	if err != nil {
		return err
	}

	srv := &Server{Temporal: c, TaskQueue: cfg.Temporal.TaskQueue, Adapters: all.Adapters(cfg),
		PolicyVerify: pc.Verifier{Secret: cfg.Policy.WebhookSecret}, PolicyRefetch: cfg.Policy.WebhookVerify == config.VerifyRefetch, OpsToken: cfg.OpsAPIToken, Logger: logger,
		Limits:   &SourceLimiter{Rate: rate.Limit(cfg.UnauthenticatedRate), Burst: cfg.UnauthenticatedBurst, MaxSources: 100_000},
		Registry: metrics.Registry, MetricsHTTP: metrics.HTTPHandler(), MetricsOwnListener: cfg.IngressMetricsAddr != "",
		Policy: pc.New(pc.Config{BaseURL: cfg.Policy.APIURL, APIKey: cfg.Policy.APIKey, Environment: cfg.Policy.Environment}),
		Codec:  CodecServer{Origins: cfg.CodecCORSOrigins, LocalUIWithoutToken: cfg.CodecLocalUIWithoutToken}}
	if len(cfg.PayloadKeys) > 0 {
		srv.Codec.Codec, err = payloadcodec.NewCodec(cfg.PayloadKeys)
		if err != nil {
			return err
		}
	}
	httpServer := &http.Server{Addr: cfg.ListenAddr, Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: WriteTimeout}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go srv.RefreshGauges(ctx, cfg.Notify.GaugeInterval)
	errc := make(chan error, 2)
	go func() { errc <- httpServer.ListenAndServe() }()
	if cfg.IngressMetricsAddr != "" {
		metricsServer := &http.Server{Addr: cfg.IngressMetricsAddr, Handler: metricsOnly(srv.MetricsHTTP), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- metricsServer.ListenAndServe() }()
		defer metricsServer.Close()
	}
	logger.Info("ingress listening", zap.String("addr", cfg.ListenAddr), zap.Strings("platforms", srv.Adapters.Names()))
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
