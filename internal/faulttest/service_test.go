package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the service under test, built once for the package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if b := os.Getenv("CRM_FAULTTEST_BINARY"); b != "" {
		binary = b
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "crm-faulttest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	// Readable by the postgres user too is not needed: only the tests run it.
	binary = filepath.Join(dir, "crm")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest: the go command is needed to build cmd/crm:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goCmd, "build", "-o", binary, "github.com/minicrm/crm/cmd/crm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "faulttest: go build ./cmd/crm: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// testSecret is a random JWT secret, as `make run` generates one.
func testSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// service is one running crm process.
type service struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port

	mu     sync.Mutex
	output bytes.Buffer // stdout and stderr
	done   chan struct{}
	err    error // Wait's result, once done is closed
}

// startService starts the binary with env (DATABASE_URL and anything else the test sets) on a
// free loopback port. It does not wait for it to listen: see listening.
func startService(t *testing.T, env ...string) (*service, <-chan string) {
	t.Helper()
	dir := t.TempDir() // no .env here: only env configures the service
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"HTTP_ADDR=127.0.0.1:0",
		"JWT_SECRET_KEY=" + testSecret(),
		"LOG_LEVEL=info",
		// The load of these tests is a client's, not an abuse: budgets well above it, so that a 429
		// never hides what is being tested.
		"RATE_LIMIT_ANON_PER_MINUTE=100000",
		"RATE_LIMIT_ORG_PER_MINUTE=1000000",
		"ORG_MAX_CONCURRENT_REQUESTS=32",
	}, env...)
	s := &service{t: t, cmd: cmd, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &lockedWriter{s: s}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binary, err)
	}
	addr := make(chan string, 1)
	go s.read(stdout, addr)
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill() // by its pid
			<-s.done
		}
		if t.Failed() {
			t.Logf("service pid %d output (last 8 KB):\n%s", s.cmd.Process.Pid, s.tail(8<<10))
		}
	})
	return s, addr
}

// runService starts the service and waits until it listens.
func runService(t *testing.T, env ...string) *service {
	t.Helper()
	s, addr := startService(t, env...)
	s.listening(addr, 60*time.Second)
	return s
}

// listening waits for the "listening" log line and records the address.
func (s *service) listening(addr <-chan string, timeout time.Duration) {
	s.t.Helper()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case <-s.done:
		s.t.Fatalf("the service exited before listening: %v\n%s", s.err, s.tail(8<<10))
	case <-time.After(timeout):
		s.t.Fatalf("the service did not listen within %s\n%s", timeout, s.tail(8<<10))
	}
}

func (s *service) read(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Bytes()
		s.mu.Lock()
		s.output.Write(line)
		s.output.WriteByte('\n')
		s.mu.Unlock()
		if !sent {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(line, &l) == nil && l.Msg == "listening" && l.Addr != "" {
				addr <- l.Addr
				sent = true
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
	s.err = s.cmd.Wait()
	close(s.done)
}

type lockedWriter struct{ s *service }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.output.Write(p)
}

func (s *service) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.output.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func (s *service) logged(msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(s.output.String(), `"msg":"`+msg+`"`)
}

// exited reports whether the process has ended.
func (s *service) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process, by its pid.
func (s *service) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to end and returns its exit code (-1: killed by a signal).
func (s *service) wait(timeout time.Duration) (int, error) {
	select {
	case <-s.done:
	case <-time.After(timeout):
		return 0, fmt.Errorf("still running after %s", timeout)
	}
	var exit *exec.ExitError
	if errors.As(s.err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, s.err
}

// answer is what one HTTP exchange gave.
type answer struct {
	status     int
	body       []byte
	header     http.Header
	err        error // transport: no answer at all
	start, end time.Time
}

func (a answer) took() time.Duration { return a.end.Sub(a.start) }

// client has a short overall timeout: a request that hangs is a failure, not a wait.
var client = &http.Client{
	Timeout:   15 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second},
}

// do sends one request; token and org may be empty.
func (s *service) do(method, path, token, org string, body any) answer {
	return s.doWith(method, path, token, org, body, nil)
}

// doWith is do with more request headers.
func (s *service) doWith(method, path, token, org string, body any, header http.Header) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	a := answer{start: time.Now()}
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+path, rd)
	if err != nil {
		a.err, a.end = err, time.Now()
		return a
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if org != "" {
		req.Header.Set("X-Organization-Id", org)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		a.err, a.end = err, time.Now()
		return a
	}
	defer func() { _ = res.Body.Close() }()
	a.body, a.err = io.ReadAll(res.Body)
	a.status, a.header, a.end = res.StatusCode, res.Header, time.Now()
	return a
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("no answer after %s: %v", a.took().Round(time.Millisecond), a.err)
	}
	return fmt.Sprintf("%d after %s: %.300s", a.status, a.took().Round(time.Millisecond), a.body)
}

// owner is a registered user and the organization they own.
type owner struct{ token, org string }

// register makes a user with an organization.
func (s *service) register(t *testing.T) owner {
	t.Helper()
	a := s.do(http.MethodPost, "/api/v1/auth/register", "", "", map[string]string{
		"email": "owner-" + testSecret()[:12] + "@example.com", "password": "correct-horse-battery",
		"name": "Owner", "organization_name": "Fault Tests Ltd",
	})
	if a.err != nil || a.status != http.StatusCreated {
		t.Fatalf("register: %v", a)
	}
	var r struct {
		AccessToken  string `json:"access_token"`
		Organization struct {
			ID string `json:"id"`
		} `json:"organization"`
	}
	if err := json.Unmarshal(a.body, &r); err != nil || r.AccessToken == "" || r.Organization.ID == "" {
		t.Fatalf("register: %v (%v)", a, err)
	}
	return owner{token: r.AccessToken, org: r.Organization.ID}
}

// createContact creates a contact and returns the answer and the new id (when 201).
func (s *service) createContact(o owner, name string) (answer, string) {
	a := s.do(http.MethodPost, "/api/v1/contacts", o.token, o.org, map[string]string{"name": name})
	if a.err != nil || a.status != http.StatusCreated {
		return a, ""
	}
	var c struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(a.body, &c)
	return a, c.ID
}

// readyz waits up to timeout for /readyz to answer want.
func (s *service) readyz(want int, timeout time.Duration) answer {
	deadline := time.Now().Add(timeout)
	for {
		a := s.do(http.MethodGet, "/readyz", "", "", nil)
		if (a.err == nil && a.status == want) || time.Now().After(deadline) {
			return a
		}
		time.Sleep(100 * time.Millisecond)
	}
}
