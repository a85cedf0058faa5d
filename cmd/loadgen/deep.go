package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minicrm/crm/internal/bench"
)

// deepResult is the deep-pages pass (issue 13): the cost of a page far from the first, by page
// number (OFFSET) and by keyset cursor, and of page 1 in a big organization against a small one.
type deepResult struct {
	BigContacts   int           `json:"big_org_contacts"`
	SmallContacts int           `json:"small_org_contacts"`
	Page          int           `json:"deep_page"`
	BigPage1      closedResult  `json:"big_page1"`
	BigDeep       closedResult  `json:"big_deep_by_page"`
	BigCursor     *closedResult `json:"big_deep_by_cursor,omitempty"`
	CursorNote    string        `json:"cursor_note,omitempty"`
	CursorWalkS   float64       `json:"cursor_walk_seconds,omitempty"`
	SmallPage1    closedResult  `json:"small_page1"`
	// Page1BigVsSmall is big page 1 / small page 1 throughput (target >= 0.7); DeepCostByPage and
	// DeepCostByCursor are the cost (1/throughput) of the deep page over page 1 (targets <= 2 and
	// <= 1.5).
	Page1BigVsSmall  float64  `json:"page1_big_vs_small_throughput"`
	DeepCostByPage   float64  `json:"deep_cost_by_page"`
	DeepCostByCursor *float64 `json:"deep_cost_by_cursor,omitempty"`
}

// Targets of issue 13.
const (
	targetPage1BigVsSmall  = 0.7
	targetDeepCostByPage   = 2
	targetDeepCostByCursor = 1.5
	targetAnalyticsP99     = 30 * time.Millisecond
)

// listPage is what the passes read of a list response.
type listPage struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	Total      int     `json:"total"`
	NextCursor *string `json:"next_cursor"`
}

// getPage fetches and decodes one list page; anything but 200 is an error with the body.
func getPage(ctx context.Context, client *http.Client, target string, u *loggedUser) (listPage, error) {
	var page listPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return page, err
	}
	req.Header.Set("Authorization", u.Bearer)
	req.Header.Set("X-Organization-Id", u.OrgHeader)
	resp, err := client.Do(req)
	if err != nil {
		return page, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return page, fmt.Errorf("%s: %s", resp.Status, b)
	}
	return page, json.NewDecoder(resp.Body).Decode(&page)
}

// contactsURL is GET /api/v1/contacts with page_size 20 and either a page number (page > 0) or a
// cursor (non-empty; the API wants no page with it) or neither (the first page).
func contactsURL(base string, page int, cursor string) string {
	q := url.Values{}
	if page > 0 {
		q.Set("page", fmt.Sprint(page))
	}
	q.Set("page_size", "20")
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return base + "/api/v1/contacts?" + q.Encode()
}

// lastPage is the number of the last page of n items by size (1 when there are none).
func lastPage(n, size int) int { return max(1, (n+size-1)/size) }

// closestOrg is the user whose organization's contact count is nearest to n (the first of a tie),
// other than skip.
func closestOrg(users []*loggedUser, n int, skip *loggedUser) *loggedUser {
	var best *loggedUser
	for _, u := range users {
		if u == skip {
			continue
		}
		if best == nil || abs(u.Org.Contacts-n) < abs(best.Org.Contacts-n) {
			best = u
		}
	}
	return best
}

// largestBy is the user whose organization has the most of size (the first of a tie), nil for none.
func largestBy(users []*loggedUser, size func(*seededOrg) int) *loggedUser {
	var best *loggedUser
	for _, u := range users {
		if best == nil || size(u.Org) > size(best.Org) {
			best = u
		}
	}
	return best
}

func abs(x int) int { return max(x, -x) }

// hammer is a closed loop of GET target for one user, after one probe so that a wrong URL fails
// now and not as a flood of errors.
func hammer(ctx context.Context, client *http.Client, target string, u *loggedUser, workers int, o options, dur time.Duration) (closedResult, error) {
	if err := do(ctx, client, request{method: http.MethodGet, url: target, user: u}); err != nil {
		return closedResult{}, fmt.Errorf("probe %s: %w", target, err)
	}
	fn := func(ctx context.Context, _, _ int) error {
		return do(ctx, client, request{method: http.MethodGet, url: target, user: u})
	}
	return closedLoop(ctx, workers, o.warmup, dur, fn), nil
}

// errNoCursor is a service without keyset cursors yet: not a failure of the run.
var errNoCursor = errors.New("not supported by this service")

// walkCursor follows next_cursor from page 1 to the cursor that yields page `page` (page-1
// requests) and checks that page against want (the first id of the same page by number): a
// cursor that skips or repeats rows would make its figure meaningless.
func walkCursor(ctx context.Context, client *http.Client, base string, u *loggedUser, page int, want string) (string, error) {
	cursor := ""
	for p := 1; p < page; p++ {
		got, err := getPage(ctx, client, contactsURL(base, 0, cursor), u)
		if err != nil {
			return "", fmt.Errorf("page %d: %w", p, err)
		}
		if got.NextCursor == nil || *got.NextCursor == "" {
			if p == 1 {
				return "", errNoCursor
			}
			return "", fmt.Errorf("no next_cursor on page %d of %d", p, lastPage(u.Org.Contacts, 20))
		}
		cursor = *got.NextCursor
	}
	got, err := getPage(ctx, client, contactsURL(base, 0, cursor), u)
	if err != nil {
		return "", fmt.Errorf("page %d: %w", page, err)
	}
	if len(got.Items) == 0 || got.Items[0].ID != want {
		first := ""
		if len(got.Items) > 0 {
			first = got.Items[0].ID
		}
		return "", fmt.Errorf("page %d by cursor starts at %q, by number at %q", page, first, want)
	}
	return cursor, nil
}

// runDeepPages is the deep-pages pass: page 1 and page o.deepPage of the largest organization by
// number, the same deep page by cursor, and page 1 of the organization nearest 200 contacts.
func runDeepPages(ctx context.Context, client *http.Client, base string, users []*loggedUser, o options) (deepResult, error) {
	big := largestBy(users, func(o *seededOrg) int { return o.Contacts })
	small := closestOrg(users, 200, big)
	if small == nil {
		return deepResult{}, errors.New("deep pages: one logged-in organization only (-logins)")
	}
	page := min(o.deepPage, lastPage(big.Org.Contacts, 20))
	res := deepResult{BigContacts: big.Org.Contacts, SmallContacts: small.Org.Contacts, Page: page}
	step := func(name, label, target string, u *loggedUser, into *closedResult) error {
		fmt.Printf("  %s: GET %s\n", label, strings.TrimPrefix(target, base))
		r, err := hammer(ctx, client, target, u, o.concurrency, o, o.deepDuration)
		if err != nil {
			return fmt.Errorf("deep pages: %w", err)
		}
		r.Latency.Endpoint = name
		*into = r
		fmt.Println(r)
		return nil
	}
	if err := step("big_page1", fmt.Sprintf("page 1 of %s contacts", bench.Thousands(big.Org.Contacts)), contactsURL(base, 1, ""), big, &res.BigPage1); err != nil {
		return res, err
	}
	deepByNumber := contactsURL(base, page, "")
	if err := step("big_deep_by_page", fmt.Sprintf("page %d of %s by page number", page, bench.Thousands(big.Org.Contacts)), deepByNumber, big, &res.BigDeep); err != nil {
		return res, err
	}
	ref, err := getPage(ctx, client, deepByNumber, big)
	if err != nil || len(ref.Items) == 0 {
		return res, fmt.Errorf("deep pages: page %d by number: %d items, %v", page, len(ref.Items), err)
	}
	began := time.Now()
	cursor, err := walkCursor(ctx, client, base, big, page, ref.Items[0].ID)
	res.CursorWalkS = time.Since(began).Seconds()
	if err != nil {
		res.CursorNote = err.Error()
		fmt.Printf("  cursor: %s\n", err)
	} else {
		var c closedResult
		if err := step("big_deep_by_cursor", fmt.Sprintf("page %d of %s by cursor (walked in %.1f s)", page, bench.Thousands(big.Org.Contacts), res.CursorWalkS), contactsURL(base, 0, cursor), big, &c); err != nil {
			return res, err
		}
		res.BigCursor = &c
	}
	if err := step("small_page1", fmt.Sprintf("page 1 of %s contacts (the organization nearest 200)", bench.Thousands(small.Org.Contacts)), contactsURL(base, 1, ""), small, &res.SmallPage1); err != nil {
		return res, err
	}
	res.Page1BigVsSmall = bench.ThroughputRatio(res.BigPage1.RPS, res.SmallPage1.RPS)
	res.DeepCostByPage = bench.CostRatio(res.BigDeep.RPS, res.BigPage1.RPS)
	fmt.Println(bench.TargetLine(fmt.Sprintf("page 1 of %s vs %s", bench.Thousands(big.Org.Contacts), bench.Thousands(small.Org.Contacts)), res.Page1BigVsSmall, targetPage1BigVsSmall, true))
	fmt.Println(bench.TargetLine(fmt.Sprintf("cost of page %d / page 1 by page number", page), res.DeepCostByPage, targetDeepCostByPage, false))
	if res.BigCursor != nil {
		c := bench.CostRatio(res.BigCursor.RPS, res.BigPage1.RPS)
		res.DeepCostByCursor = &c
		fmt.Println(bench.TargetLine(fmt.Sprintf("cost of page %d / page 1 by cursor", page), c, targetDeepCostByCursor, false))
	}
	return res, nil
}

// analyticsResult is the analytics pass on the organization with the most deals.
type analyticsResult struct {
	Deals   int          `json:"org_deals"`
	Summary closedResult `json:"summary"`
	Funnel  closedResult `json:"funnel"`
}

// runAnalytics hammers the deals summary and the funnel, one after the other, for the organization
// with the most deals: the two aggregate over all of its deals on every request.
func runAnalytics(ctx context.Context, client *http.Client, base string, users []*loggedUser, o options) (analyticsResult, error) {
	u := largestBy(users, func(o *seededOrg) int { return o.Deals })
	res := analyticsResult{Deals: u.Org.Deals}
	fmt.Printf("  organization of %s deals\n", bench.Thousands(u.Org.Deals))
	for _, e := range []struct {
		name string
		into *closedResult
	}{{"summary", &res.Summary}, {"funnel", &res.Funnel}} {
		path := "/api/v1/analytics/deals/" + e.name
		fmt.Printf("  %s: GET %s\n", e.name, path)
		r, err := hammer(ctx, client, base+path, u, o.analyticsConc, o, o.analyticsDur)
		if err != nil {
			return res, fmt.Errorf("analytics: %w", err)
		}
		r.Latency.Endpoint = e.name
		*e.into = r
		fmt.Printf("%s  %s\n", r, bench.Verdict(r.Latency.P99 <= float64(targetAnalyticsP99.Microseconds())/1000 && r.Errors == 0))
	}
	fmt.Printf("  target: p99 <= %s, no errors\n", targetAnalyticsP99)
	return res, nil
}
