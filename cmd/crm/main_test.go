package main

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests run the command as a container or an operator would: this test binary, started again
// with runMainEnv set, is `crm` (main, its exit code and its output).
const runMainEnv = "CRM_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Args = append([]string{"crm"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCRM runs the command with args and env (on top of a clean environment); it returns the exit
// code, stdout and stderr.
func runCRM(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = t.TempDir() // no .env to pick up
	cmd.Env = []string{runMainEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

func TestHelp_ListsEveryCommand(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, _ := runCRM(t, nil, arg)
		assert.Equal(t, 0, code, arg)
		for _, cmd := range []string{"serve", "worker", "migrate up|down|version", "seed --demo", "healthcheck", "version"} {
			assert.Contains(t, out, "\n  "+cmd, arg)
		}
	}
	code, _, stderr := runCRM(t, nil, "frobnicate")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)
}

// latestMigration is the highest NNNNNN of schema/NNNNNN_*.up.sql, read from the files themselves.
func latestMigration(t *testing.T) int {
	files, err := filepath.Glob("../../schema/*.up.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	top := 0
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		require.NoError(t, err)
		top = max(top, n)
	}
	return top
}

func TestVersion_PrintsVersionCommitGoAndSchema(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCRM(t, nil, "version")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	assert.Regexp(t, `^crm \S+$`, lines[0])
	assert.Regexp(t, `^commit: \S+$`, lines[1])
	assert.Equal(t, "go: "+runtime.Version(), lines[2])
	assert.Equal(t, "schema: "+strconv.Itoa(latestMigration(t)), lines[3])
}

func TestVersion_FromTheLinkerFlags(t *testing.T) {
	version, commit = "v1.2.3", "0123abc"
	t.Cleanup(func() { version, commit = "", "" })
	var b bytes.Buffer
	require.NoError(t, printVersion(&b))
	assert.True(t, strings.HasPrefix(b.String(), "crm v1.2.3\ncommit: 0123abc\n"), b.String())
}

func TestHealthcheck_ReadyInstanceExitsZero(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u, err := url.Parse(app.URL)
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)
	// As HTTP_ADDR is written for a container (no host: 127.0.0.1) and with its host.
	for _, addr := range []string{":" + port, u.Host, "0.0.0.0:" + port} {
		code, out, stderr := runCRM(t, map[string]string{"HTTP_ADDR": addr}, "healthcheck")
		assert.Equal(t, 0, code, "%s: %s", addr, stderr)
		assert.Equal(t, "ready\n", out)
	}
}

func TestHealthcheck_ClosedPortExitsNonZero(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	code, _, stderr := runCRM(t, map[string]string{"HTTP_ADDR": addr}, "healthcheck")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not ready")
}

func TestHealthcheck_UnreadyInstanceExitsNonZero(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			http.Error(w, "database down", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	code, _, stderr := runCRM(t, map[string]string{"HTTP_ADDR": strings.TrimPrefix(srv.URL, "http://")}, "healthcheck")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "503")
}

func TestSeedDemo_PrintsHowToLogInAndIsIdempotent(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": apptest.NewDatabaseURL(t), "HTTP_ADDR": ":18080"}
	code, out, stderr := runCRM(t, env, "seed", "--demo", "--password", "demo-password-1")
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"50 contacts", "40 deals", "email:        demo@example.com",
		"password:     demo-password-1", "organization: ", "http://localhost:18080/docs", "demo-admin@example.com"} {
		assert.Contains(t, out, want)
	}

	code, out, stderr = runCRM(t, env, "seed", "--demo")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "already exists: nothing was changed")

	code, _, stderr = runCRM(t, env, "seed")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "usage: crm seed --demo")
}

func TestSetGCPercent_DefaultsUnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	require.NoError(t, os.Unsetenv("GOGC"))
	setGCPercent()
	assert.Equal(t, defaultGCPercent, debug.SetGCPercent(100), "GOGC unset: the service's default")

	t.Setenv("GOGC", "100")
	setGCPercent()
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: the runtime's reading of it stays")
}
