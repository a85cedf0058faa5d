package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/minicrm/crm/internal/config"
	"github.com/minicrm/crm/internal/demo"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/schema"
)

// version and commit are set at build time (the Dockerfile and `make build`):
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/crm
//
// Unset, they come from the module and VCS information Go embeds (go install, go build in a clone).
var (
	version string
	commit  string
)

const usage = `crm — the mini-CRM service

Usage: crm [command]

Commands:
  serve                    (the default) create the database if needed, migrate, serve the API on
                           HTTP_ADDR, /metrics on METRICS_ADDR when set, and work the webhook deliveries
  worker                   migrate, then work the webhook deliveries only (no HTTP)
  migrate up|down|version  apply all migrations (River's, then ours), revert the last one of ours,
                           or print our version
  seed --demo              create a demo organization (owner, team, contacts, deals over the funnel,
                           tasks, comments) and print how to log in; [--password P] (or DEMO_PASSWORD),
                           otherwise a random one is printed
  healthcheck              exit 0 when GET /readyz of the instance at HTTP_ADDR answers 200, 1
                           otherwise (for container health checks: the image has no shell)
  version                  print the version, commit, Go version and schema version
  help                     print this text

Settings come from the environment and from .env in the working directory (see .env.example).
`

// buildVersion is the version and commit of this binary.
func buildVersion() (ver, rev string) {
	ver, rev = version, commit
	info, ok := debug.ReadBuildInfo()
	if ok && ver == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		ver = info.Main.Version
	}
	if ok && rev == "" {
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" && modified {
			rev += "-dirty"
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}

// schemaVersion is the highest migration embedded in the binary: the version `crm serve` brings
// the database to.
func schemaVersion() uint {
	var top uint
	entries, _ := fs.ReadDir(schema.FS, ".")
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".up.sql") {
			continue
		}
		if n, err := strconv.ParseUint(num, 10, 32); err == nil && uint(n) > top {
			top = uint(n)
		}
	}
	return top
}

func printVersion(w io.Writer) error {
	ver, rev := buildVersion()
	_, err := fmt.Fprintf(w, "crm %s\ncommit: %s\ngo: %s\nschema: %d\n", ver, rev, runtime.Version(), schemaVersion())
	return err
}

// loopbackURL is the base URL that reaches the instance listening on addr (HTTP_ADDR) from the same
// host: a listen address naming no host, or all of them, is reached on 127.0.0.1.
func loopbackURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("HTTP_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// healthcheckTimeout bounds the whole probe; the readiness handler gives the database 2 s.
const healthcheckTimeout = 4 * time.Second

// healthcheck asks the local instance whether it is ready (`crm healthcheck`).
func healthcheck(ctx context.Context, addr string) error {
	base, err := loopbackURL(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return err
	}
	// No proxy from the environment: the probe is for this host's own instance.
	probe := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := probe.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s/readyz answered %s", base, resp.Status)
	}
	fmt.Println("ready")
	return nil
}

// seed runs `crm seed --demo`.
func seed(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fset := flag.NewFlagSet("seed", flag.ContinueOnError)
	isDemo := fset.Bool("demo", false, "create the demo organization")
	password := fset.String("password", os.Getenv("DEMO_PASSWORD"), "the demo team's password (default: DEMO_PASSWORD, else random)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if !*isDemo || fset.NArg() > 0 {
		return errors.New("usage: crm seed --demo [--password P]")
	}
	pw := *password
	if pw == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		pw = base64.RawURLEncoding.EncodeToString(b)
	}
	pool, err := openMigrated(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := demo.Seed(ctx, platform.NewDB(pool), pw)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	base, err := loopbackURL(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	var b strings.Builder
	if res.Existing {
		fmt.Fprintf(&b, "The demo organization %q already exists: nothing was changed.\n"+
			"  organization: %s\n  log in as %s with the password printed when it was created.\n"+
			"  portal: %s/docs\n", demo.OrganizationName, res.OrganizationID, demo.OwnerEmail, base)
		_, err := io.WriteString(out, b.String())
		return err
	}
	fmt.Fprintf(&b, "Created the demo organization %q: %d contacts, %d deals (by stage: %s; by status: %s), %d tasks, %d comments.\n\n",
		demo.OrganizationName, res.Contacts, res.Deals, counts(res.Stages, "qualification", "proposal", "negotiation", "closed"),
		counts(res.Statuses, "new", "in_progress", "won", "lost"), res.Tasks, res.Comments)
	fmt.Fprintf(&b, "Log in (start the service with `crm serve` or `make run` first):\n"+
		"  email:        %s\n  password:     %s\n  organization: %s   (the X-Organization-Id header)\n\n",
		demo.OwnerEmail, pw, res.OrganizationID)
	fmt.Fprintf(&b, "The team logs in with the same password:\n")
	for _, p := range demo.Team[1:] {
		fmt.Fprintf(&b, "  %-26s %s\n", p.Email, p.Role)
	}
	fmt.Fprintf(&b, "\nIn the portal, %s/docs: POST /api/v1/auth/login with the email and password, then\n"+
		"\"Authorize\" with the access_token and the organization id, and try GET /api/v1/deals or\n"+
		"GET /api/v1/analytics/deals/funnel. From a shell:\n\n"+
		"  curl -s %s/api/v1/auth/login -H 'Content-Type: application/json' \\\n"+
		"    -d '{\"email\":\"%s\",\"password\":\"%s\"}'\n", base, base, demo.OwnerEmail, pw)
	_, err = io.WriteString(out, b.String())
	return err
}

func counts(m map[string]int, keys ...string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
