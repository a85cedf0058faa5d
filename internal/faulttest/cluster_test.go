package faulttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBinDir is the directory of initdb, pg_ctl and postgres, found once.
var pgBinDir = sync.OnceValues(findPGBinDir)

func findPGBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	// Debian and Ubuntu: /usr/lib/postgresql/<major>/bin, not on PATH. The newest version wins.
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(matches, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, m := range append(matches, "/usr/local/pgsql/bin/initdb") {
		if _, err := os.Stat(m); err == nil {
			return filepath.Dir(m), nil
		}
	}
	return "", errors.New("the fault tests need the PostgreSQL server binaries (initdb, pg_ctl, postgres): " +
		"none on PATH, through pg_config, or under /usr/lib/postgresql/*/bin — install the postgresql package")
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// cluster is a throwaway PostgreSQL server: its own data directory, a free loopback port, trust
// authentication for the user postgres, and no durability (fsync off) — it lives for one test.
type cluster struct {
	bin  string
	dir  string // holds data/, the socket and the log
	port int
	// runAs is the user the server runs as when the tests run as root ("" otherwise).
	runAs string
}

// newCluster initialises and starts a cluster; it is stopped (by its postmaster's pid if pg_ctl
// cannot) and removed when the test ends.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "crm-faulttest-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{bin: bin, dir: dir}
	t.Cleanup(func() {
		c.kill(t)
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("remove %s: %v", dir, err)
		}
	})
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the cluster belongs to the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("the tests run as root, and initdb refuses root: they need a \"postgres\" user to run the cluster as (%v)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runAs = "postgres"
	}
	out, err := c.command(context.Background(), "initdb", "-D", c.data(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions").CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// A port outside the usual ephemeral range, so that an outgoing connection never holds it while
	// the server is down; retried when taken.
	for attempt := 0; ; attempt++ {
		c.port = 20000 + rand.IntN(10000)
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.port)); err == nil {
			_ = ln.Close()
			if err = c.start(); err == nil {
				return c
			}
			if attempt >= 3 {
				t.Fatalf("start PostgreSQL: %v\n%s", err, c.log())
			}
		}
	}
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// command runs one of the server's binaries, as the cluster's user.
func (c *cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.runAs == "" {
		return exec.CommandContext(ctx, path, args...)
	}
	if runuser, err := exec.LookPath("runuser"); err == nil {
		return exec.CommandContext(ctx, runuser, append([]string{"-u", c.runAs, "--", path}, args...)...)
	}
	quoted := make([]string, 0, len(args)+1)
	for _, a := range append([]string{path}, args...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return exec.CommandContext(ctx, "su", c.runAs, "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "+
		"-c full_page_writes=off -c shared_buffers=16MB -c max_connections=60", c.port, c.dir)
	out, err := c.command(ctx, "pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts,
		"-w", "-t", "50", "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	return nil
}

// stop stops the server: mode "immediate" is a crash as far as clients can tell (every backend
// dies at once, mid-query), "fast" a clean shutdown.
func (c *cluster) stop(mode string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.command(ctx, "pg_ctl", "-D", c.data(), "-m", mode, "-w", "-t", "50", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// kill stops the server if it runs: pg_ctl first, then the postmaster by its pid.
func (c *cluster) kill(t *testing.T) {
	pid := c.postmasterPID()
	if pid == 0 {
		return
	}
	if err := c.stop("immediate"); err == nil {
		return
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil {
		return
	}
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("PostgreSQL (pid %d) still runs after SIGQUIT: SIGKILL", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// postmasterPID is the server's pid from its postmaster.pid, 0 when it is not running.
func (c *cluster) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

func (c *cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// url is the URL of database name on the cluster, with extra query parameters.
func (c *cluster) url(name string, extra ...string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: fmt.Sprintf("127.0.0.1:%d", c.port), Path: "/" + name}
	u.RawQuery = strings.Join(append([]string{"sslmode=disable"}, extra...), "&")
	return u.String()
}

// connect opens a connection of the test's own to database name.
func (c *cluster) connect(t *testing.T, name string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url(name))
	if err != nil {
		t.Fatalf("connect to %s: %v", name, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
