package engagement

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestComposeRegistersTheCodesSearchAttributes: docker-compose.yml registers exactly the
// search attributes of the code's one list, with their types, on the server version the CLI
// embeds (the cluster scripts and make run read the list from the code).
func TestComposeRegistersTheCodesSearchAttributes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	require.NoError(t, err)
	m := regexp.MustCompile(`for sa in ([^;]+); do`).FindStringSubmatch(string(data))
	require.NotNil(t, m, "the search-attribute loop of temporal-setup")
	var got []string
	for _, f := range strings.Fields(m[1]) {
		got = append(got, strings.Replace(f, ":", "=", 1))
	}
	var want []string
	for _, sa := range SearchAttributes() {
		want = append(want, sa.Name+"="+sa.Kind)
	}
	slices.Sort(got)
	slices.Sort(want)
	assert.Equal(t, want, got)
	// The same server version as the cluster of make run-cluster and the cluster test.
	makefile, err := os.ReadFile(filepath.Join("..", "Makefile"))
	require.NoError(t, err)
	v := regexp.MustCompile(`(?m)^TEMPORAL_SERVER_VERSION := v(\S+)$`).FindSubmatch(makefile)
	require.NotNil(t, v, "TEMPORAL_SERVER_VERSION in the Makefile")
	for _, image := range []string{"temporalio/auto-setup:", "temporalio/admin-tools:"} {
		assert.Contains(t, string(data), image+string(v[1]), "docker-compose runs the cluster's server version")
	}
}
