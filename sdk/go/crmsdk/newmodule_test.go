package crmsdk_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNewModule builds internal/newuser (a new user's first program) as a module of its own, outside the repository, that
// requires the SDK through a replace directive to this checkout, as a new user's project would.
// It builds offline (GOPROXY=off: only the module cache, which this repository's own build
// filled) and runs the program against the test server.
func TestNewModule(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(gomod), "module github.com/minicrm/crm\n"), "the repository root")
	goVersion := ""
	for line := range strings.SplitSeq(string(gomod), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			goVersion = v
		}
	}
	require.NotEmpty(t, goVersion)

	dir := t.TempDir()
	mod := "module example.com/crmuser\n\ngo " + goVersion + "\n\n" +
		"require github.com/minicrm/crm v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/minicrm/crm => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o600))
	// The checksums of the SDK's dependencies, as the repository has them: go adds what the
	// program needs from here instead of asking the checksum database.
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o600))
	program, err := os.ReadFile(filepath.Join("internal", "newuser", "main.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), program, 0o600))

	gobin, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(dir, "crmuser")
	build := exec.CommandContext(t.Context(), gobin, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build in a new module:\n%s", out)

	run := exec.CommandContext(t.Context(), bin, baseURL, uniqueEmail("newuser"))
	run.WaitDelay = 10 * time.Second
	out, err = run.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "contact Charles\ncontact Mary\ncontact Michael\ndeal Engine proposal true\nproblem true\n", string(out))
}
