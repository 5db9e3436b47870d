package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkerDeploymentSettings(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")

	c, err := Load()
	require.NoError(t, err)
	require.False(t, c.Deployment.Versioned(), "no deployment name: versioning off for local use")

	t.Setenv("WORKER_DEPLOYMENT_NAME", "coverage")
	_, err = Load()
	require.EqualError(t, err, "configuration: WORKER_DEPLOYMENT_NAME is set but this build carries no build id: set WORKER_BUILD_ID or build with make build")

	t.Setenv("WORKER_BUILD_ID", "v1.2.0")
	c, err = Load()
	require.NoError(t, err)
	require.Equal(t, Deployment{Name: "coverage", BuildID: "v1.2.0"}, c.Deployment)

	// In production: a build with uncommitted changes is refused; no versioning is a warning.
	setEnv(t, productionEnv) // every other production check satisfied
	t.Setenv("WORKER_BUILD_ID", "8438df5-dirty")
	_, err = Load()
	require.EqualError(t, err, "configuration: the worker's build id 8438df5-dirty is a build with uncommitted changes: deploy a build of a clean commit (or tag) to production")
	t.Setenv("WORKER_BUILD_ID", "v1.2.0")
	c, err = Load()
	require.NoError(t, err)
	require.Empty(t, c.Deployment.Warning(true))
	require.Contains(t, Deployment{}.Warning(true), "WORKER_DEPLOYMENT_NAME is not set")
	require.Empty(t, Deployment{}.Warning(false), "unversioned is the normal local set-up")
	t.Setenv("POLICY_ENVIRONMENT", "sandbox")

	// The server keeps version ids as <name>:<build id> (formerly <name>.<build id>).
	for _, bad := range []string{"cover.age", "cover:age", "__coverage"} {
		t.Setenv("WORKER_DEPLOYMENT_NAME", bad)
		_, err = Load()
		require.EqualError(t, err, "configuration: WORKER_DEPLOYMENT_NAME must not contain '.' or ':' nor start with '__'", bad)
	}
}
