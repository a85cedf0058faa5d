package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/platform"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Queue is the River queue of the deliveries.
const Queue = "webhooks"

// DisableAfter is how long every attempt to an endpoint may fail before it is set inactive.
const DisableAfter = 72 * time.Hour

// DeliveryArgs is the River job of one delivery: send it, record the attempt, and let River
// retry it on the schedule of NextRetry until MaxAttempts.
type DeliveryArgs struct {
	OrganizationID uuid.UUID `json:"organization_id"`
	DeliveryID     uuid.UUID `json:"delivery_id"`

	// retryAt is when the attempt that just failed is to be retried: Work decides it (and records
	// it as the delivery's next_attempt_at), River's call of NextRetry on the same job reads it.
	retryAt time.Time
}

// Kind is the job's kind in River.
func (DeliveryArgs) Kind() string { return "webhook_delivery" }

// InsertOpts puts deliveries on their queue with the webhook retry budget.
func (DeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts}
}

// Schedule is when to retry after failed attempt number attempt (from 1); ok is false when the
// delivery has failed for good. NextRetry is the product's.
type Schedule func(attempt int, failedAt time.Time) (at time.Time, ok bool)

// worker sends deliveries.
type worker struct {
	river.WorkerDefaults[DeliveryArgs]
	store  *platform.DB
	client *http.Client
	retry  Schedule
	now    func() time.Time
	log    *slog.Logger
}

// Timeout bounds one attempt: the endpoint's DeliveryTimeout and the bookkeeping around it.
func (w *worker) Timeout(*river.Job[DeliveryArgs]) time.Duration {
	return DeliveryTimeout + 20*time.Second
}

// NextRetry is the schedule's time for the attempt Work just recorded as failed.
func (w *worker) NextRetry(job *river.Job[DeliveryArgs]) time.Time {
	if !job.Args.retryAt.IsZero() {
		return job.Args.retryAt
	}
	at, _ := w.retry(job.Attempt, w.now()) // an attempt that failed before recording itself
	return at                              // zero when over: River's default, never reached past MaxAttempts
}

// Work sends the delivery once and records the attempt. A 2xx answer within DeliveryTimeout is a
// success; anything else is an error, retried by River on the schedule.
func (w *worker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	a := job.Args
	q := w.store.Queries()
	d, err := q.GetWebhookDeliveryToSend(ctx, db.GetWebhookDeliveryToSendParams{OrganizationID: a.OrganizationID, ID: a.DeliveryID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // the endpoint was deleted meanwhile, and its deliveries with it
	}
	if err != nil {
		return fmt.Errorf("load delivery: %w", err)
	}
	if d.Status != "pending" {
		return nil
	}
	attemptedAt := w.now()
	code, sendErr := w.send(ctx, d, attemptedAt)
	rec := db.RecordWebhookAttemptParams{OrganizationID: a.OrganizationID, ID: a.DeliveryID, AttemptedAt: attemptedAt}
	if code != 0 {
		c := int32(code) //nolint:gosec // an HTTP status
		rec.LastStatusCode = &c
	}
	if sendErr == nil && code >= 200 && code < 300 {
		rec.Status = "succeeded"
		return w.store.InTx(ctx, func(q *db.Queries) error {
			endpoint, err := q.RecordWebhookAttempt(ctx, rec)
			if err != nil {
				return fmt.Errorf("record attempt: %w", err)
			}
			return q.MarkWebhookEndpointSucceeded(ctx, db.MarkWebhookEndpointSucceededParams{OrganizationID: a.OrganizationID, ID: endpoint})
		})
	}
	failure := sendErr
	if failure == nil {
		failure = fmt.Errorf("the endpoint answered %d", code)
	} else {
		msg := describe(sendErr)
		rec.LastError = &msg
	}
	rec.Status = "failed"
	final := job.Attempt >= job.MaxAttempts
	if !final {
		if at, ok := w.retry(job.Attempt, w.now()); ok {
			rec.Status, rec.NextAttemptAt = "pending", &at
			job.Args.retryAt = at
		} else {
			final = true
		}
	}
	if err := w.store.InTx(ctx, func(q *db.Queries) error {
		endpoint, err := q.RecordWebhookAttempt(ctx, rec)
		if err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		active, err := q.MarkWebhookEndpointFailed(ctx, db.MarkWebhookEndpointFailedParams{
			OrganizationID: a.OrganizationID, ID: endpoint, AttemptedAt: attemptedAt, FailingBefore: attemptedAt.Add(-DisableAfter),
		})
		if err == nil && !active {
			w.log.InfoContext(ctx, "webhook endpoint deactivated: its deliveries failed for 3 days",
				"organization_id", a.OrganizationID, "webhook_id", endpoint)
		}
		return err
	}); err != nil {
		return err
	}
	if final {
		return river.JobCancel(fmt.Errorf("delivery failed for good after %d attempts: %w", job.Attempt, failure))
	}
	return fmt.Errorf("delivery attempt %d: %w", job.Attempt, failure)
}

// send POSTs the event's body, signed, and returns the endpoint's status (0: no answer).
func (w *worker) send(ctx context.Context, d db.GetWebhookDeliveryToSendRow, at time.Time) (int, error) {
	id := d.EventID.String()
	sig, err := Signature(d.Secret, id, at, d.Body)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Url, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mini-crm-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = res.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // let the connection be reused
	return res.StatusCode, nil
}

// describe is the last_error of an attempt that got no answer: what went wrong, in words that say
// nothing of the network the service runs in (the error itself may name its resolver, its
// addresses or a proxy; it goes to River's log, not to the tenant).
func describe(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(err, errDestination):
		return "refused: the endpoint resolves to a loopback, private or link-local address"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "the endpoint's host name does not resolve"
	case errors.As(err, &dnsErr):
		return "the endpoint's host name could not be resolved"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return "no answer within 10 s"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before an answer"
	case errors.As(err, &certErr):
		return "the endpoint's TLS certificate was refused"
	case errors.As(err, &recordErr):
		return "the endpoint does not speak TLS"
	default:
		return "the connection to the endpoint failed"
	}
}

// ClientConfig configures the River client of the deliveries.
type ClientConfig struct {
	// Guard is the policy of the destinations (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE).
	Guard Guard
	// Workers is how many deliveries the client sends at once (WEBHOOK_WORKERS); 0 makes an
	// insert-only client, which queues jobs for the workers of other processes.
	Workers int
	// Retry is the retry schedule; nil is NextRetry. Tests shorten it.
	Retry  Schedule
	Logger *slog.Logger
}

// NewClient returns the River client of the deliveries on pool; Start it to work them.
func NewClient(pool *pgxpool.Pool, store *platform.DB, c ClientConfig) (*river.Client[pgx.Tx], error) {
	if c.Retry == nil {
		c.Retry = NextRetry
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{store: store, client: c.Guard.Client(), retry: c.Retry, now: time.Now, log: c.Logger}); err != nil {
		return nil, err
	}
	cfg := &river.Config{Logger: c.Logger, Workers: workers}
	if c.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{Queue: {MaxWorkers: c.Workers}}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}

// jsonOf is v's JSON.
func jsonOf(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}
