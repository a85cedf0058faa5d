package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rateLimitOverrides are the only settings the bench changes from the service's production
// defaults: the rate limits and the per-organization concurrency cap, raised out of the way so the
// bench measures the service, not its limits.
var rateLimitOverrides = [][2]string{
	{"RATE_LIMIT_ANON_PER_MINUTE", "100000000"},
	{"RATE_LIMIT_ORG_PER_MINUTE", "100000000"},
	{"ORG_MAX_CONCURRENT_REQUESTS", "100000"},
	{"ORG_MAX_CONCURRENT_ANALYTICS", "100000"},
}

type service struct {
	cmd      *exec.Cmd
	base     string
	shownEnv map[string]string
	dir      string
	once     sync.Once
	exited   chan struct{}
}

func buildService(ctx context.Context, binary string) error {
	if err := os.MkdirAll(filepath.Dir(binary), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/crm")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/crm: %w", err)
	}
	return nil
}

// startService runs the binary with an environment of its own (PATH and HOME of ours, nothing
// else of it) in an empty directory (so no .env is read), on a loopback port of the kernel's
// choice, and waits for its "listening" log line.
func startService(ctx context.Context, o options, dbURL string) (*service, error) {
	bin, err := filepath.Abs(o.binary)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "crm-bench-")
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"DATABASE_URL":   dbURL,
		"HTTP_ADDR":      "127.0.0.1:0",
		"JWT_SECRET_KEY": randomSecret(),
	}
	for _, kv := range rateLimitOverrides {
		env[kv[0]] = kv[1]
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	dieWithParent(cmd)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	shown := map[string]string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
		shown[k] = v
	}
	shown["JWT_SECRET_KEY"] = "(random, 32 bytes)"
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errLog, err := os.Create(filepath.Join(filepath.Dir(o.out), "bench-service.stderr"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = errLog
	if err := cmd.Start(); err != nil {
		_ = errLog.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &service{cmd: cmd, shownEnv: shown, dir: dir, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = errLog.Close()
		close(s.exited)
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			if found {
				continue // drain the request log
			}
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Addr != "" {
				found = true
				addr <- line.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case <-s.exited:
		return nil, fmt.Errorf("the service exited before listening; see %s", errLog.Name())
	case <-time.After(60 * time.Second):
		s.Stop()
		return nil, errors.New("the service did not log \"listening\" within 60 s")
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	host, _, err := net.SplitHostPort(strings.TrimPrefix(s.base, "http://"))
	if err != nil || !net.ParseIP(host).IsLoopback() {
		s.Stop()
		return nil, fmt.Errorf("the service listens on %s, not loopback", s.base)
	}
	return s, nil
}

func (s *service) overrides() string {
	parts := make([]string, 0, len(rateLimitOverrides))
	for _, kv := range rateLimitOverrides {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	return strings.Join(parts, " ") + " (rate limits raised out of the way)"
}

// Stop ends the service by its pid (SIGTERM, then SIGKILL after 10 s) and removes its directory.
func (s *service) Stop() {
	s.once.Do(func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
		_ = os.RemoveAll(s.dir)
	})
}

// RSS reads VmRSS and VmHWM (peak) of the service, in KiB; nil when /proc is not there.
func (s *service) RSS() map[string]int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return nil
	}
	return parseRSS(string(b))
}

// parseRSS reads the VmRSS and VmHWM lines of a /proc/<pid>/status, in KiB.
func parseRSS(status string) map[string]int {
	out := map[string]int{}
	for line := range strings.SplitSeq(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		if err == nil {
			out[k] = n
		}
	}
	return out
}

// watchRSS measures the service's peak RSS over a stretch of the run (the mixed run): VmHWM is the
// peak since the process started, so it is reset first (clear_refs 5, Linux 4.0+) and read at the
// end; VmRSS is also sampled every 50 ms, the only measure where the reset is refused. The
// returned stop gives the peak in KiB (0 without /proc).
func (s *service) watchRSS() (stop func() int) {
	reset := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0) == nil
	done := make(chan struct{})
	peak := make(chan int, 1)
	go func() {
		top := 0
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			top = max(top, s.RSS()["VmRSS"])
			select {
			case <-t.C:
			case <-done:
				peak <- top
				return
			}
		}
	}()
	return func() int {
		close(done)
		top := <-peak
		if reset {
			top = max(top, s.RSS()["VmHWM"])
		}
		return top
	}
}

// loggedUser is one logged-in owner: the token and what the ceiling needs of its session.
type loggedUser struct {
	Org       *seededOrg
	UserID    uuid.UUID
	SessionID uuid.UUID
	Bearer    string // "Bearer <access token>"
	OrgHeader string
}

func newHTTPClient(conns int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// loginOwners logs the owner of each organization in, one after the other (login is rate-limited
// per address and password hashing is bounded).
func loginOwners(ctx context.Context, s *service, orgs []*seededOrg, timeout time.Duration) ([]*loggedUser, error) {
	client := newHTTPClient(2, timeout+10*time.Second)
	out := make([]*loggedUser, 0, len(orgs))
	for _, org := range orgs {
		u := org.Users[0]
		body, _ := json.Marshal(map[string]string{"email": u.Email, "password": benchPassword})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/api/v1/auth/login", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("login %s: %w", u.Email, err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("login %s: %s: %s", u.Email, resp.Status, b)
		}
		var res struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(b, &res); err != nil || res.AccessToken == "" {
			return nil, fmt.Errorf("login %s: no access_token in %s", u.Email, b)
		}
		out = append(out, &loggedUser{Org: org, UserID: u.ID, Bearer: "Bearer " + res.AccessToken, OrgHeader: org.ID.String()})
	}
	return out, nil
}

// attachSessions finds each logged-in user's session (one login each, so one session each): the
// ceiling passes its id to ResolveMembership as the service does from the token's sid.
func attachSessions(ctx context.Context, pool *pgxpool.Pool, users []*loggedUser) error {
	rows, err := pool.Query(ctx, "SELECT user_id, id FROM sessions WHERE revoked_at IS NULL")
	if err != nil {
		return err
	}
	defer rows.Close()
	byUser := map[uuid.UUID]uuid.UUID{}
	for rows.Next() {
		var uid, sid uuid.UUID
		if err := rows.Scan(&uid, &sid); err != nil {
			return err
		}
		byUser[uid] = sid
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var missing []string
	for _, u := range users {
		sid, ok := byUser[u.UserID]
		if !ok {
			missing = append(missing, u.UserID.String())
			continue
		}
		u.SessionID = sid
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("no session for %d logged-in users (%s ...)", len(missing), missing[0])
	}
	return nil
}
