// Command worker runs the engagement workflows and their activities, and keeps one polling
// schedule per enabled platform. Configuration comes from the environment (README).
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/notify"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/startup"
	"github.com/coverage-orchestrator/coverage/vendors/all"
	"github.com/coverage-orchestrator/coverage/workflows"
)

func main() {
	switch {
	case len(os.Args) > 1 && os.Args[1] == "version":
		// What scripts pass to `temporal worker deployment set-current-version --build-id`.
		fmt.Println(config.BinaryBuildID())
	case len(os.Args) > 1 && os.Args[1] == "replay":
		sample, err := replayFlags(os.Args[2:], os.Stderr)
		if err != nil {
			os.Exit(2)
		}
		startup.Main("worker replay", startup.Dial, func(ctx context.Context, svc *startup.Service) error {
			return replayOpen(ctx, svc, sample, os.Stdout)
		})
	default:
		startup.Main("worker", startup.Dial, run)
	}
}

func run(ctx context.Context, svc *startup.Service) error {
	cfg, c, logger := svc.Config, svc.Client, svc.Logger

	registry := all.Adapters(cfg)
	acts := &activities.Activities{
		Policy:           pc.New(pc.Config{BaseURL: cfg.Policy.APIURL, APIKey: cfg.Policy.APIKey, Environment: cfg.Policy.Environment}),
		Vendors:          registry,
		Mapping:          cfg.Mapping,
		ProxyEmailDomain: cfg.ProxyEmailDomain,
		SessionSuccess:   cfg.SessionSuccess,
		SessionCancel:    cfg.SessionCancel,
		Temporal:         c,
		TaskQueue:        cfg.Temporal.TaskQueue,
		Notifier: &notify.Sender{URLs: cfg.Notify.WebhookURLs, Secret: cfg.Notify.Secret, SlackURL: cfg.Notify.SlackURL,
			UIURL: cfg.Notify.UIURL, Namespace: cfg.Temporal.Namespace},
		ApplicationPendingAfter: cfg.Notify.ApplicationPendingAfter,
		Horizon:                 cfg.CoverageHorizon,
		PublishSourceVersions:   svc.SourceVersions,
	}
	// The sticky cache is process-wide: its size bounds the memory of the open engagements
	// kept warm (an evicted one is replayed from history at its next event).
	worker.SetStickyWorkflowCacheSize(max(cfg.WorkflowCacheSize, 1))
	if warning := cfg.Deployment.Warning(cfg.Policy.Environment == "production"); warning != "" {
		logger.Warn(warning)
	}
	w := worker.New(c, cfg.Temporal.TaskQueue, worker.Options{DeploymentOptions: deploymentOptions(cfg.Deployment)})
	workflows.Register(w, acts)

	var err error
	for _, vendor := range config.Vendors {
		p := cfg.Platforms[vendor]
		if !p.Enabled() {
			continue
		}
		if p.PollInterval <= 0 {
			err = engagement.DeletePollSchedule(ctx, c, vendor)
		} else {
			err = engagement.EnsurePollSchedule(ctx, c, cfg.Temporal.TaskQueue, vendor, p.PollInterval)
		}
		if err != nil {
			return fmt.Errorf("poll schedule for %s: %w", vendor, err)
		}
	}
	if cfg.Policy.EventsPollInterval <= 0 {
		err = engagement.DeletePolicyEventsSchedule(ctx, c)
	} else {
		err = engagement.EnsurePolicyEventsSchedule(ctx, c, cfg.Temporal.TaskQueue, cfg.Policy.EventsPollInterval, cfg.Policy.EventsPageSize)
	}
	if err != nil {
		return fmt.Errorf("1099Policy events poll schedule: %w", err)
	}

	metricsServer := &http.Server{Addr: cfg.MetricsAddr, Handler: svc.Metrics.HTTPHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := metricsServer.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server", zap.Error(err))
		}
	}()
	defer metricsServer.Close()

	logger.Info("worker started", zap.String("task_queue", cfg.Temporal.TaskQueue), zap.Strings("platforms", registry.Names()),
		zap.String("metrics", cfg.MetricsAddr), zap.String("deployment", cfg.Deployment.Name), zap.String("build_id", cfg.Deployment.BuildID))
	if err := w.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// deploymentOptions opt the worker into Worker Versioning when it has a deployment name; each
// workflow type carries its own behaviour (workflows.RegisterWorkflows), so none is defaulted.
func deploymentOptions(d config.Deployment) worker.DeploymentOptions {
	if !d.Versioned() {
		return worker.DeploymentOptions{}
	}
	return worker.DeploymentOptions{UseVersioning: true,
		Version: worker.WorkerDeploymentVersion{DeploymentName: d.Name, BuildID: d.BuildID}}
}
