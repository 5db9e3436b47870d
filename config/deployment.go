package config

import (
	"errors"
	"strings"
)

// buildID is set by the Makefile (-ldflags "-X ...config.buildID=$(git describe --tags --always --dirty)").
var buildID string

// BinaryBuildID is the Build ID this binary was built as ("" from a plain go build).
func BinaryBuildID() string { return buildID }

// Deployment is the worker's place in Worker Versioning (README "Deploying a new version"):
// with a name, the worker polls as version <name>/<build id> and new workflows reach it only
// once an operator makes that version current; without one, versioning is off (local use).
type Deployment struct {
	Name    string `env:"WORKER_DEPLOYMENT_NAME"`
	BuildID string `env:"WORKER_BUILD_ID"`
}

// Warning is the line a production worker without Worker Versioning logs at start-up.
func (d Deployment) Warning(production bool) string {
	if production && !d.Versioned() {
		return "WORKER_DEPLOYMENT_NAME is not set: this worker is unversioned, so a deploy replaces the workflow code of every open engagement at once (README \"Deploying a new version\")"
	}
	return ""
}

// Versioned reports whether the worker takes part in Worker Versioning.
func (d Deployment) Versioned() bool { return d.Name != "" }

func (d *Deployment) resolve(production bool) error {
	if d.BuildID == "" {
		d.BuildID = BinaryBuildID()
	}
	if !d.Versioned() {
		return nil
	}
	// The server joins name and build id with these in version ids, so it refuses them in names.
	if strings.ContainsAny(d.Name, ".:") || strings.HasPrefix(d.Name, "__") {
		return errors.New("configuration: WORKER_DEPLOYMENT_NAME must not contain '.' or ':' nor start with '__'")
	}
	if d.BuildID == "" {
		return errors.New("configuration: WORKER_DEPLOYMENT_NAME is set but this build carries no build id: set WORKER_BUILD_ID or build with make build")
	}
	// Two builds with different uncommitted changes would share the id, and so one version.
	if production && strings.HasSuffix(d.BuildID, "-dirty") {
		return errors.New("configuration: the worker's build id " + d.BuildID + " is a build with uncommitted changes: deploy a build of a clean commit (or tag) to production")
	}
	return nil
}
