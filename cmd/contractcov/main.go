// Command contractcov is CI's contract coverage gate: every (operation, documented status) pair of
// openapi.yaml must have been produced by at least one test. The tests record the pairs they saw
// (internal/apptest, CONTRACT_COVERAGE_FILE); pairs that no test can provoke are listed, with the
// reason, in an allow-list file.
//
//	contractcov -coverage tmp/contract-coverage.txt -allow contract/coverage-allowlist.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/minicrm/crm/gen/api"
)

func main() {
	coverage := flag.String("coverage", "tmp/contract-coverage.txt", "pairs the tests produced: lines of \"operationId status\"")
	allow := flag.String("allow", "contract/coverage-allowlist.txt", "pairs exempt from the gate: \"operationId status  # reason\" (operationId * for all)")
	flag.Parse()
	missing, err := run(*coverage, *allow)
	if err != nil {
		fmt.Fprintln(os.Stderr, "contractcov:", err)
		os.Exit(2)
	}
	if missing > 0 {
		fmt.Printf("\nFAIL: %d documented (operation, status) pairs were produced by no test\n", missing)
		os.Exit(1)
	}
}

func run(coveragePath, allowPath string) (int, error) {
	spec, err := api.GetSpec()
	if err != nil {
		return 0, err
	}
	seen, err := readPairs(coveragePath)
	if err != nil {
		return 0, err
	}
	allowed, err := readPairs(allowPath)
	if err != nil {
		return 0, err
	}

	type row struct {
		op                       string
		covered, exempt, missing []string
	}
	var rows []row
	totalPairs, totalCovered, totalExempt, totalMissing := 0, 0, 0, 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			r := row{op: fmt.Sprintf("%s (%s %s)", op.OperationID, method, path)}
			for code := range op.Responses.Map() {
				totalPairs++
				switch {
				case seen[op.OperationID+" "+code]:
					r.covered = append(r.covered, code)
					totalCovered++
				case allowed[op.OperationID+" "+code] || allowed["* "+code]:
					r.exempt = append(r.exempt, code)
					totalExempt++
				default:
					r.missing = append(r.missing, code)
					totalMissing++
				}
			}
			slices.Sort(r.covered)
			slices.Sort(r.exempt)
			slices.Sort(r.missing)
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.op, b.op) })

	fmt.Printf("%-70s %-34s %-8s %s\n", "operation", "covered", "allowed", "MISSING")
	for _, r := range rows {
		fmt.Printf("%-70s %-34s %-8s %s\n", r.op, strings.Join(r.covered, " "), strings.Join(r.exempt, " "), strings.Join(r.missing, " "))
	}
	fmt.Printf("\noperations %d, documented pairs %d: covered %d, allowed %d, missing %d\n",
		len(rows), totalPairs, totalCovered, totalExempt, totalMissing)
	return totalMissing, nil
}

// readPairs reads "operationId status" lines; '#' starts a comment.
func readPairs(path string) (map[string]bool, error) {
	f, err := os.Open(path) //nolint:gosec // a path given on the command line by CI
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			return nil, fmt.Errorf("%s: bad status in %q", path, sc.Text())
		}
		out[fields[0]+" "+fields[1]] = true
	}
	return out, sc.Err()
}
