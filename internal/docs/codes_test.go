package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	spec "github.com/minicrm/crm"
)

// repoRoot is where the module's sources are, seen from this package's directory (go test runs a
// package's tests in its directory).
const repoRoot = "../.."

// constructors are apperr's functions whose first argument is the code.
var constructors = map[string]bool{"Invalid": true, "Unauthorized": true, "Forbidden": true, "NotFound": true, "Conflict": true}

// serverCodes is every problem code the service's own code can answer with: the first argument of
// apperr's constructors and the Code of apperr.Error literals, in the non-test sources of internal/
// and cmd/. A code must be a string literal or a package-level string constant there, so that this
// scan sees it; anything else fails the test (found is then incomplete). The codes map to where
// they were seen, for the failure message.
func serverCodes(t *testing.T) map[string]string {
	t.Helper()
	codes := map[string]string{}
	var opaque []string
	for _, dir := range []string{"internal", "cmd"} {
		pkgs := map[string][]*ast.File{}
		fset := token.NewFileSet()
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], f)
			return nil
		})
		require.NoError(t, err)
		for _, files := range pkgs {
			consts := stringConsts(files)
			for _, f := range files {
				inApperr := f.Name.Name == "apperr"
				ast.Inspect(f, func(n ast.Node) bool {
					var expr ast.Expr
					switch n := n.(type) {
					case *ast.CallExpr:
						if name, ok := apperrName(n.Fun, inApperr); ok && constructors[name] && len(n.Args) > 0 {
							expr = n.Args[0]
						}
					case *ast.CompositeLit:
						if name, ok := apperrName(n.Type, inApperr); ok && name == "Error" {
							for _, el := range n.Elts {
								if kv, ok := el.(*ast.KeyValueExpr); ok {
									if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
										expr = kv.Value
									}
								}
							}
						}
					}
					if expr == nil {
						return true
					}
					where := fset.Position(expr.Pos()).String()
					if code, ok := codeOf(expr, consts); ok {
						codes[code] = where
					} else if !inApperr || !isIdent(expr, "code") { // apperr's constructors pass their parameter on
						opaque = append(opaque, where)
					}
					return true
				})
			}
		}
	}
	require.Empty(t, opaque, "problem codes must be string literals or constants, so that the spec check sees them")
	require.NotEmpty(t, codes)
	return codes
}

// apperrName is the name e refers to when it is apperr.Name, or Name inside package apperr itself.
func apperrName(e ast.Expr, inApperr bool) (string, bool) {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "apperr" {
			return e.Sel.Name, true
		}
	case *ast.Ident:
		if inApperr {
			return e.Name, true
		}
	}
	return "", false
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// codeOf is the string e stands for: a literal, or a string constant of its package.
func codeOf(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	}
	return "", false
}

// stringConsts are the package-level constants of a package that are string literals.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if v, ok := codeOf(vs.Values[i], nil); ok {
							out[name.Name] = v
						}
					}
				}
			}
		}
	}
	return out
}

// specDoc is openapi.yaml, as much of it as these tests read.
type specDoc struct {
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Schemas struct {
			Problem struct {
				Properties struct {
					Code struct {
						Enum []string `yaml:"enum"`
					} `yaml:"code"`
				} `yaml:"properties"`
			} `yaml:"Problem"`
		} `yaml:"schemas"`
		Responses map[string]yaml.Node `yaml:"responses"`
	} `yaml:"components"`
}

func loadSpec(t *testing.T) specDoc {
	t.Helper()
	var doc specDoc
	require.NoError(t, yaml.Unmarshal(spec.OpenAPIYAML, &doc))
	return doc
}

// TestProblemCodes_SpecListsEveryCodeTheServerAnswers keeps Problem.code's enum in openapi.yaml and
// the codes of the server's code the same list, both ways: a new code must be documented (the SDKs
// generate their code types from the enum), and a code nothing answers any more must leave it.
func TestProblemCodes_SpecListsEveryCodeTheServerAnswers(t *testing.T) {
	server := serverCodes(t)
	enum := loadSpec(t).Components.Schemas.Problem.Properties.Code.Enum
	require.NotEmpty(t, enum, "components.schemas.Problem.properties.code has no enum")

	var undocumented, unused []string
	for code, where := range server {
		if !slices.Contains(enum, code) {
			undocumented = append(undocumented, code+" ("+where+")")
		}
	}
	for _, code := range enum {
		if _, ok := server[code]; !ok {
			unused = append(unused, code)
		}
	}
	sort.Strings(undocumented)
	require.Empty(t, undocumented, "codes the server answers with that Problem.code's enum in openapi.yaml does not list")
	require.Empty(t, unused, "codes Problem.code's enum lists that no server code answers with")
	require.True(t, slices.IsSorted(enum), "keep Problem.code's enum sorted, so that the portal's list is easy to read")
}

// The scan must see codes in each of the forms the service writes them; this guards the scanner
// itself against silently finding nothing of a form.
func TestServerCodes_FindsEveryForm(t *testing.T) {
	codes := serverCodes(t)
	for _, want := range []string{
		"won_requires_positive_amount", // apperr.Invalid("…", …)
		"validation_failed",            // &Error{Code: "…"} inside apperr
		"idempotency_key_mismatch",     // &apperr.Error{Code: "…"} elsewhere
		"rate_limited",                 // Code: a constant
	} {
		require.Contains(t, codes, want)
	}
	_, err := os.Stat(filepath.Join(repoRoot, "openapi.yaml"))
	require.NoError(t, err, "repoRoot must be the module root")
}

// notShown are the codes that no operation's responses show as an example, and why.
var notShown = map[string]string{
	"method_not_allowed": "answered to a method a path does not have, so no operation of the spec can show it",
	"internal_error":     "a fault of the service, never the answer to a request; the Errors table lists it",
}

// exampleCodes walks every operation's problem responses (through $refs to components.responses and
// components.examples) and returns, per code, where it is shown. A shown example must carry its
// response's status and use a code of the enum.
func exampleCodes(t *testing.T, enum []string) map[string][]string {
	t.Helper()
	var doc struct {
		Paths      map[string]map[string]yaml.Node `yaml:"paths"`
		Components struct {
			Responses map[string]response `yaml:"responses"`
			Examples  map[string]example  `yaml:"examples"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(spec.OpenAPIYAML, &doc))
	shown := map[string][]string{}
	for path, item := range doc.Paths {
		for method, node := range item {
			var op struct {
				OperationID string              `yaml:"operationId"`
				Responses   map[string]response `yaml:"responses"`
			}
			if node.Decode(&op) != nil || op.OperationID == "" { // parameters, summary, …
				continue
			}
			for status, r := range op.Responses {
				if r.Ref != "" {
					name := strings.TrimPrefix(r.Ref, "#/components/responses/")
					require.Contains(t, doc.Components.Responses, name, "%s %s %s", method, path, status)
					r = doc.Components.Responses[name]
				}
				media, ok := r.Content["application/problem+json"]
				if !ok {
					continue
				}
				where := op.OperationID + " " + status
				if media.Example != nil {
					t.Errorf("%s: name the problem examples (examples: {<code>: …}), not one example:", where)
				}
				for name, ex := range media.Examples {
					if ex.Ref != "" {
						ref := strings.TrimPrefix(ex.Ref, "#/components/examples/")
						require.Contains(t, doc.Components.Examples, ref, where)
						ex = doc.Components.Examples[ref]
					}
					code := ex.Value.Code
					if !slices.Contains(enum, code) {
						t.Errorf("%s: example %q shows the code %q, which Problem.code's enum does not list", where, name, code)
					}
					if strconv.Itoa(ex.Value.Status) != status {
						t.Errorf("%s: the example %q says status %d", where, name, ex.Value.Status)
					}
					shown[code] = append(shown[code], where)
				}
			}
		}
	}
	return shown
}

type response struct {
	Ref     string `yaml:"$ref"`
	Content map[string]struct {
		Example  any                `yaml:"example"`
		Examples map[string]example `yaml:"examples"`
	} `yaml:"content"`
}

type example struct {
	Ref   string `yaml:"$ref"`
	Value struct {
		Code   string `yaml:"code"`
		Status int    `yaml:"status"`
	} `yaml:"value"`
}

// TestProblemCodes_EachIsAnExampleOfAnOperation: the portal shows every code, under its own name,
// on the responses of the operations that answer it (a client reads what updateDeal's 400 and 403
// can be there). The business rules are pinned to their operations below.
func TestProblemCodes_EachIsAnExampleOfAnOperation(t *testing.T) {
	enum := loadSpec(t).Components.Schemas.Problem.Properties.Code.Enum
	shown := exampleCodes(t, enum)
	for _, code := range enum {
		if reason, ok := notShown[code]; ok {
			assert.NotContains(t, shown, code, "%s is shown after all; drop it from notShown (%s)", code, reason)
			continue
		}
		assert.Contains(t, shown, code, "no operation shows %s as a named example of a problem response", code)
	}
	for code := range notShown {
		assert.Contains(t, enum, code, "notShown names %s, which Problem.code's enum does not list", code)
	}

	for code, where := range map[string][]string{
		"won_requires_positive_amount": {"updateDeal 400"},
		"stage_rollback_forbidden":     {"updateDeal 403"},
		"invalid_reference":            {"createContact 400", "updateContact 400", "createDeal 400", "updateDeal 400", "createTask 400", "updateTask 400"},
		"due_date_in_past":             {"createTask 400", "updateTask 400"},
		"only_comments_allowed":        {"createActivity 400"},
		"contact_email_taken":          {"createContact 409", "updateContact 409"},
		"contact_has_deals":            {"deleteContact 409"},
		"email_taken":                  {"register 409"},
		"invalid_credentials":          {"login 401", "changePassword 403"},
		"too_many_attempts":            {"login 429", "changePassword 429"},
		"last_owner":                   {"updateMember 409", "removeMember 409"},
		"own_role":                     {"updateMember 403"},
		"owner_role_forbidden":         {"updateMember 403", "removeMember 403"},
		"invalid_webhook_url":          {"createWebhook 400", "updateWebhook 400"},
	} {
		for _, w := range where {
			assert.Contains(t, shown[code], w, "%s is not an example of %s", code, w)
		}
	}
}

// The Errors table of the description (status, code, when) and Problem.code's enum name the same
// codes: the table is where a reader learns when each is given.
func TestProblemCodes_ErrorsTableListsEach(t *testing.T) {
	var doc struct {
		Info struct {
			Description string `yaml:"description"`
		} `yaml:"info"`
	}
	require.NoError(t, yaml.Unmarshal(spec.OpenAPIYAML, &doc))
	rows := regexp.MustCompile("(?m)^\\| [1-5][0-9]{2} \\| `([a-z_]+)` \\|").FindAllStringSubmatch(doc.Info.Description, -1)
	require.NotEmpty(t, rows, "no Errors table in info.description")
	inTable := map[string]bool{}
	for _, r := range rows {
		inTable[r[1]] = true
	}
	enum := loadSpec(t).Components.Schemas.Problem.Properties.Code.Enum
	for _, code := range enum {
		assert.True(t, inTable[code], "the Errors table of info.description has no row for %s", code)
	}
	for code := range inTable {
		assert.Contains(t, enum, code, "the Errors table names %s, which Problem.code's enum does not list", code)
	}
}
