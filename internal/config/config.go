// Package config reads the service's settings from the environment and an optional .env file.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Config is everything the service reads at start.
type Config struct {
	DatabaseURL  string
	HTTPAddr     string
	LogLevel     slog.Level
	JWTAlgorithm string
	JWTSecret    string
	AccessTTL    time.Duration
	RefreshTTL   time.Duration

	// Rate limits and fairness (issue 8, items 9 and 10). Requests without valid credentials
	// spend RateLimitAnonPerMinute per client address (RATE_LIMIT_ANON_PER_MINUTE, default 60),
	// authenticated ones RateLimitOrgPerMinute per organization, else per user
	// (RATE_LIMIT_ORG_PER_MINUTE, default 6000). The counters are in the process, or in the
	// Redis of RedisURL when it is set (REDIS_URL), shared by every replica. OrgMaxConcurrent
	// requests of one organization run at once (ORG_MAX_CONCURRENT_REQUESTS; 0: half the database
	// pool), OrgMaxConcurrentAnalytics of them analytics (ORG_MAX_CONCURRENT_ANALYTICS; 0: half
	// of that). MaxInFlight requests acting in organizations are worked on at once across all of
	// them, the others wait their turn (MAX_IN_FLIGHT_REQUESTS; 0: four times the pool), at most
	// MaxQueued of them (MAX_QUEUED_REQUESTS; 0: eight times MaxInFlight): the next gets a 503.
	RateLimitAnonPerMinute    int
	RateLimitOrgPerMinute     int
	RedisURL                  string
	OrgMaxConcurrent          int
	OrgMaxConcurrentAnalytics int
	MaxInFlight               int
	MaxQueued                 int

	// Login and session abuse (issue 8). LoginMaxFailuresPerAddress bounds failed logins per
	// client address across all accounts in 15 minutes (LOGIN_MAX_FAILURES_PER_ADDRESS, default
	// 100). TrustedProxies are the proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES,
	// comma-separated CIDRs or addresses; empty: the socket peer is the client).
	// RefreshReuseLeeway lets the refresh token rotated last be presented again for this long
	// (REFRESH_REUSE_LEEWAY_SECONDS, default 10, 0 disables). PasswordHashQueue is how many logins
	// may wait for a password hash slot before 503 (PASSWORD_HASH_QUEUE_SIZE; 0: 8 per slot).
	LoginMaxFailuresPerAddress int
	TrustedProxies             []*net.IPNet
	RefreshReuseLeeway         time.Duration
	PasswordHashQueue          int

	// RequestTimeout bounds one request's work (REQUEST_TIMEOUT, default 25s). It is always at
	// least RequestTimeoutMargin below WriteTimeout, so a request that times out still gets its 503.
	RequestTimeout time.Duration
	// CORSAllowedOrigins are the browser origins allowed to call the API (CORS_ALLOWED_ORIGINS,
	// comma-separated, e.g. "https://app.example.com"); empty means CORS is off.
	CORSAllowedOrigins []string

	// DBStatementTimeout and DBLockTimeout are the statement_timeout and lock_timeout of the
	// service's database connections (DB_STATEMENT_TIMEOUT, default 5s; DB_LOCK_TIMEOUT, default
	// 2s; 0 leaves them to the server).
	DBStatementTimeout time.Duration
	DBLockTimeout      time.Duration

	// Webhooks (issue 10). WebhookAllowHTTP accepts http:// endpoints (WEBHOOK_ALLOW_HTTP, default
	// false: https only); WebhookAllowPrivate accepts loopback, private and link-local destinations
	// (WEBHOOK_ALLOW_PRIVATE, default false) — both for local development and tests only.
	// WebhookWorkers deliveries are sent at once by each process that works them (WEBHOOK_WORKERS,
	// default 4; 0: `crm serve` only queues them, for the processes of `crm worker`).
	WebhookAllowHTTP    bool
	WebhookAllowPrivate bool
	WebhookWorkers      int

	// MetricsAddr is where /metrics (Prometheus) is served (METRICS_ADDR, e.g. "127.0.0.1:9090";
	// empty, the default: nowhere). It is a listener of its own, never the API's, so the metrics are
	// not public by accident.
	MetricsAddr string
}

// WriteTimeout is the HTTP server's write timeout: no answer can be written after it.
const WriteTimeout = 30 * time.Second

// RequestTimeoutMargin is the time a timed-out request keeps, before the write deadline, to
// answer 503 timeout.
const RequestTimeoutMargin = 5 * time.Second

// LoadDotEnv reads path (usually ".env") into the environment when it exists. Variables already set
// in the environment win over the file.
func LoadDotEnv(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := godotenv.Load(path); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// FromEnv builds the configuration from environment variables. Only the database settings are
// needed by every command; call RequireJWT before serving.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL:  os.Getenv("DATABASE_URL"),
		HTTPAddr:     getenv("HTTP_ADDR", ":8080"),
		JWTAlgorithm: getenv("JWT_ALGORITHM", "HS256"),
		JWTSecret:    os.Getenv("JWT_SECRET_KEY"),
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = buildDatabaseURL(
			getenv("DB_HOST", "127.0.0.1"), getenv("DB_PORT", "5432"), getenv("DB_NAME", "crm"),
			getenv("DB_USER", "postgres"), os.Getenv("DB_PASS"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(getenv("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	accessMin, err := positiveInt("ACCESS_TOKEN_EXPIRE_MINUTES", 15)
	if err != nil {
		return c, err
	}
	refreshDays, err := positiveInt("REFRESH_TOKEN_EXPIRE_DAYS", 7)
	if err != nil {
		return c, err
	}
	c.AccessTTL = time.Duration(accessMin) * time.Minute
	c.RefreshTTL = time.Duration(refreshDays) * 24 * time.Hour
	if c.RateLimitAnonPerMinute, err = positiveInt("RATE_LIMIT_ANON_PER_MINUTE", 60); err != nil {
		return c, err
	}
	if c.RateLimitOrgPerMinute, err = positiveInt("RATE_LIMIT_ORG_PER_MINUTE", 6000); err != nil {
		return c, err
	}
	c.RedisURL = os.Getenv("REDIS_URL")
	if c.OrgMaxConcurrent, err = positiveInt("ORG_MAX_CONCURRENT_REQUESTS", 0); err != nil {
		return c, err
	}
	if c.OrgMaxConcurrentAnalytics, err = positiveInt("ORG_MAX_CONCURRENT_ANALYTICS", 0); err != nil {
		return c, err
	}
	if c.MaxInFlight, err = positiveInt("MAX_IN_FLIGHT_REQUESTS", 0); err != nil {
		return c, err
	}
	if c.MaxQueued, err = positiveInt("MAX_QUEUED_REQUESTS", 0); err != nil {
		return c, err
	}
	if c.LoginMaxFailuresPerAddress, err = positiveInt("LOGIN_MAX_FAILURES_PER_ADDRESS", 100); err != nil {
		return c, err
	}
	if c.TrustedProxies, err = trustedProxies(os.Getenv("TRUSTED_PROXIES")); err != nil {
		return c, err
	}
	leeway, err := nonNegativeInt("REFRESH_REUSE_LEEWAY_SECONDS", 10)
	if err != nil {
		return c, err
	}
	c.RefreshReuseLeeway = time.Duration(leeway) * time.Second
	if c.PasswordHashQueue, err = nonNegativeInt("PASSWORD_HASH_QUEUE_SIZE", 0); err != nil {
		return c, err
	}
	if c.RequestTimeout, err = requestTimeout(); err != nil {
		return c, err
	}
	if c.CORSAllowedOrigins, err = corsOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")); err != nil {
		return c, err
	}
	if c.DBStatementTimeout, err = dbTimeout("DB_STATEMENT_TIMEOUT", 5*time.Second); err != nil {
		return c, err
	}
	if c.DBLockTimeout, err = dbTimeout("DB_LOCK_TIMEOUT", 2*time.Second); err != nil {
		return c, err
	}
	if c.WebhookAllowHTTP, err = boolEnv("WEBHOOK_ALLOW_HTTP"); err != nil {
		return c, err
	}
	if c.WebhookAllowPrivate, err = boolEnv("WEBHOOK_ALLOW_PRIVATE"); err != nil {
		return c, err
	}
	if c.WebhookWorkers, err = nonNegativeInt("WEBHOOK_WORKERS", 4); err != nil {
		return c, err
	}
	if c.MetricsAddr, err = listenAddr("METRICS_ADDR"); err != nil {
		return c, err
	}
	return c, nil
}

// listenAddr reads an optional host:port to listen on ("" when unset).
func listenAddr(key string) (string, error) {
	v := strings.TrimSpace(os.Getenv(key))
	if v == "" {
		return "", nil
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return "", fmt.Errorf("%s must be host:port or :port to listen on, such as 127.0.0.1:9090, got %q", key, v)
	}
	return v, nil
}

// boolEnv reads a boolean variable (true/false, 1/0, ...); unset or empty is false.
func boolEnv(key string) (bool, error) {
	v := strings.TrimSpace(os.Getenv(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, got %q", key, v)
	}
	return b, nil
}

// RequireJWT fails with a clear message when no signing secret is configured (there is no
// built-in default secret) or when the one configured is a placeholder or obviously not random.
func (c Config) RequireJWT() error {
	if strings.TrimSpace(c.JWTSecret) == "" {
		return errors.New("JWT_SECRET_KEY is not set: put it in the environment or in .env " +
			"(for development, `make run` generates one)")
	}
	if why := weakSecret(c.JWTSecret); why != "" {
		return fmt.Errorf("JWT_SECRET_KEY is refused: %s. Use a random secret of at least %d bytes, "+
			"e.g. `head -c 32 /dev/urandom | base64` (also an EdDSA seed), or delete .env and run "+
			"`make run` to generate one", why, minSecretLen)
	}
	return nil
}

func buildDatabaseURL(host, port, name, user, pass string) string {
	u := url.URL{Scheme: "postgres", Host: host + ":" + port, Path: "/" + name}
	if pass != "" {
		u.User = url.UserPassword(user, pass)
	} else {
		u.User = url.User(user)
	}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

func getenv(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// dbTimeout reads a PostgreSQL timeout as a Go duration ("5s", "250ms"); "0" turns it off.
// PostgreSQL counts in milliseconds, so a shorter non-zero value is refused rather than rounded.
func dbTimeout(key string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v) // "0" is 0
	if err != nil || d < 0 || (d > 0 && d < time.Millisecond) {
		return 0, fmt.Errorf("%s must be a duration of at least 1ms such as 5s or 500ms, or 0 for none; got %q", key, v)
	}
	return d, nil
}

func positiveInt(key string, def int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, got %q", key, v)
	}
	return n, nil
}

// requestTimeout reads REQUEST_TIMEOUT, a Go duration ("25s", "1m") or whole seconds ("25"), and
// refuses values that would leave a timed-out request no time to answer before WriteTimeout.
func requestTimeout() (time.Duration, error) {
	const def = WriteTimeout - RequestTimeoutMargin
	v := os.Getenv("REQUEST_TIMEOUT")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < time.Second || d > def {
		return 0, fmt.Errorf("REQUEST_TIMEOUT must be a duration from 1s to %s (the %s write timeout less %s "+
			"to answer 503 timeout), got %q", def, WriteTimeout, RequestTimeoutMargin, v)
	}
	return d, nil
}

// corsOrigins parses CORS_ALLOWED_ORIGINS: a comma-separated list of exact origins
// (scheme://host[:port]); wildcards are refused, the list is an allow-list.
func corsOrigins(v string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(v, ",") {
		o := strings.TrimSpace(raw)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin like https://app.example.com "+
				"(scheme and host, no path, no wildcard)", o)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

func nonNegativeInt(key string, def int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a whole number, 0 or more, got %q", key, v)
	}
	return n, nil
}

// trustedProxies parses TRUSTED_PROXIES: comma-separated CIDRs ("10.0.0.0/8") or single addresses.
func trustedProxies(v string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, raw := range strings.Split(v, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			if ip := net.ParseIP(item); ip != nil {
				bits := 8 * net.IPv6len
				if ip4 := ip.To4(); ip4 != nil {
					ip, bits = ip4, 8*net.IPv4len
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not a CIDR (10.0.0.0/8) or an IP address", item)
		}
		out = append(out, n)
	}
	return out, nil
}
