package all_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors/all"
)

// TestAdaptersOfTheConfiguredPlatforms: a platform with an API URL gets its adapter under its
// own name; one without is absent.
func TestAdaptersOfTheConfiguredPlatforms(t *testing.T) {
	assert.Empty(t, all.Adapters(config.Config{}).Names())
	every := map[string]config.Platform{}
	for _, v := range config.Vendors {
		every[v] = config.Platform{APIURL: "http://127.0.0.1:1/" + v}
	}
	r := all.Adapters(config.Config{Platforms: every})
	assert.Equal(t, []string{"jobdiva", "remote", "upwork", "workmarket"}, r.Names())
	for _, v := range config.Vendors {
		a, err := r.Get(v)
		if assert.NoError(t, err, v) {
			assert.Equal(t, v, a.Vendor())
		}
		one := all.Adapters(config.Config{Platforms: map[string]config.Platform{v: every[v]}})
		assert.Equal(t, []string{v}, one.Names(), "only %s is configured", v)
	}
	_, err := all.Adapters(config.Config{}).Get("remote")
	assert.ErrorContains(t, err, `platform "remote" is not enabled`)
}
