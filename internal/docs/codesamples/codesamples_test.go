package codesamples

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	spec "github.com/minicrm/crm"
	"github.com/minicrm/crm/gen/client"
)

const root = "../../.."

func generate(t *testing.T) (*Spec, *Result) {
	t.Helper()
	s, err := Parse(spec.OpenAPIYAML)
	require.NoError(t, err)
	names, err := Names(root + "/sdk/go/crmsdk")
	require.NoError(t, err)
	consts, err := Consts(root + "/gen/client/client.gen.go")
	require.NoError(t, err)
	res, err := Generate(s, names, consts)
	require.NoError(t, err)
	return s, res
}

// The committed openapi.yaml and check files are what the generator makes of the spec and the SDKs
// now (`make generate` was run): the samples the portal shows are the ones that were checked.
func TestSamples_AreCurrent(t *testing.T) {
	_, res := generate(t)
	withSamples, err := Insert(spec.OpenAPIYAML, res.Samples)
	require.NoError(t, err)
	assert.Equal(t, string(spec.OpenAPIYAML), string(withSamples), "openapi.yaml's x-codeSamples are stale: make generate")
	for path, want := range map[string][]byte{
		root + "/internal/docs/codesamples/gocheck/samples.gen.go": res.GoCheck,
		root + "/docs/codesamples/samples.gen.ts":                  res.TSCheck,
	} {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is stale: make generate", path)
	}
}

// Every operation of the document shows curl, the TypeScript SDK and the Go SDK, in that order.
func TestSamples_EveryOperationHasThree(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(spec.OpenAPIYAML, &doc))
	n := 0
	for _, item := range doc.Paths {
		for method, node := range item {
			if !contains(methods, method) {
				continue
			}
			var op struct {
				OperationID string `yaml:"operationId"`
				Samples     []struct {
					Lang, Label, Source string
				} `yaml:"x-codeSamples"`
			}
			require.NoError(t, node.Decode(&op))
			n++
			var labels []string
			for _, s := range op.Samples {
				labels = append(labels, s.Lang+"/"+s.Label)
				assert.NotEmpty(t, s.Source, op.OperationID)
			}
			assert.Equal(t, []string{"Shell/curl", "TypeScript/TypeScript SDK", "Go/Go SDK"}, labels, op.OperationID)
		}
	}
	assert.Greater(t, n, 40)
}

// A call template names an operation of the spec: one removed or renamed there goes here too.
func TestCalls_AreOperationsOfTheSpec(t *testing.T) {
	s, _ := generate(t)
	ids := map[string]bool{}
	for _, op := range s.Operations {
		ids[op.ID] = true
	}
	for id := range calls {
		assert.True(t, ids[id], "calls has %s, which is no operation of openapi.yaml", id)
	}
}

// The description's client snippets are the ones the check files compile.
func TestGettingStarted_ShowsTheCheckedSnippets(t *testing.T) {
	var doc struct {
		Info struct {
			Description string `yaml:"description"`
		} `yaml:"info"`
	}
	require.NoError(t, yaml.Unmarshal(spec.OpenAPIYAML, &doc))
	d := doc.Info.Description
	assert.Contains(t, d, "## Getting started")
	assert.Contains(t, d, "```ts\n"+GettingStartedTS+"\n```")
	assert.Contains(t, d, "```go\n"+GettingStartedGo+"\n```")
}

func TestSamples_UpdateDeal(t *testing.T) {
	_, res := generate(t)
	got := map[string]string{}
	for _, s := range res.Samples["updateDeal"] {
		got[s.Label] = s.Source
	}
	assert.Equal(t, `curl -X PATCH "http://localhost:8080/api/v1/deals/$DEAL_ID" \
  -H "Authorization: Bearer $TOKEN" \
  -H "X-Organization-Id: $ORG_ID" \
  -H "Content-Type: application/json" \
  -d '{"status":"won","stage":"closed"}'`, got["curl"])
	assert.Equal(t, `const deal = await crm.deals.update(dealId, { status: "won", stage: "closed" });`, got["TypeScript SDK"])
	assert.Equal(t, "deal, err := c.Deals.Update(ctx, dealID, crmsdk.DealUpdate{\n"+
		"\tStatus: new(crmsdk.DealStatusWon),\n"+
		"\tStage:  new(crmsdk.DealStageClosed),\n"+
		"})", got["Go SDK"], "a line over 100 characters puts the body's fields on lines of their own, gofmt-aligned")
}

func TestGoLiterals(t *testing.T) {
	consts, err := Consts(root + "/gen/client/client.gen.go")
	require.NoError(t, err)
	g := &goLiterals{clientPkg: reflect.TypeFor[client.Client]().PkgPath(), sdkNames: map[string]bool{"DealStage": true, "DealStageProposal": true},
		consts: consts, vars: map[string]bool{}}
	for name, c := range map[string]struct {
		t    reflect.Type
		yaml string
		want string
	}{
		"an enum behind a pointer":  {reflect.TypeFor[*client.DealStage](), "proposal", "new(crmsdk.DealStageProposal)"},
		"an enum not in crmsdk":     {reflect.TypeFor[client.DealStatus](), "won", "client.DealStatusWon"},
		"money":                     {reflect.TypeFor[*client.Amount](), "10000.50", `new(money.MustParse("10000.50"))`},
		"a date":                    {reflect.TypeFor[*client.TaskCreate]().Elem().Field(2).Type, "2026-12-01", "new(openapi_types.Date{Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})"},
		"a number behind a pointer": {reflect.TypeFor[*int32](), "20", "new(int32(20))"},
		"a null of a nullable":      {reflect.TypeFor[client.ContactUpdate]().Field(0).Type, "null", "nullable.NewNullNullable[string]()"},
		"a free-form object":        {reflect.TypeFor[map[string]any](), "{text: hi, n: 1}", `map[string]any{"text": "hi", "n": 1}`},
	} {
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(c.yaml), &n), name)
		got, err := g.lit(c.t, n.Content[0], "x", false)
		require.NoError(t, err, name)
		assert.Equal(t, c.want, got, name)
	}
}

func TestInsert_ReplacesTheSamplesAndNothingElse(t *testing.T) {
	doc := `paths:
  /a:
    get:
      operationId: getA
      description: |
        text

        more
      responses: {}
    post:
      operationId: postA
      x-codeSamples:
        - lang: Shell
          source: |-
            old

            old too
      responses: {}
components: {}
`
	samples := map[string][]Sample{
		"getA":  {{Lang: "Shell", Label: "curl", Source: "curl a"}},
		"postA": {{Lang: "Go", Label: "Go SDK", Source: "x, err := f()\n\nreturn"}},
	}
	got, err := Insert([]byte(doc), samples)
	require.NoError(t, err)
	assert.Equal(t, `paths:
  /a:
    get:
      operationId: getA
      description: |
        text

        more
      responses: {}
      x-codeSamples:
        - lang: Shell
          label: "curl"
          source: |-
            curl a
    post:
      operationId: postA
      responses: {}
      x-codeSamples:
        - lang: Go
          label: "Go SDK"
          source: |-
            x, err := f()

            return
components: {}
`, string(got))
	again, err := Insert(got, samples)
	require.NoError(t, err)
	assert.Equal(t, string(got), string(again), "inserting the same samples again changes nothing")

	_, err = Insert([]byte(doc), map[string][]Sample{"getA": samples["getA"]})
	assert.ErrorContains(t, err, "no samples for the operation postA")
}

// What the service sends (x-webhooks) is no call a client makes: it gets no samples, and its
// operation needs none.
func TestInsert_LeavesTheWebhooksAlone(t *testing.T) {
	doc := "paths:\n  /a:\n    get:\n      operationId: getA\n      responses: {}\n" +
		"x-webhooks:\n  event:\n    post:\n      operationId: receiveEvent\n      responses: {}\n\ncomponents: {}\n"
	got, err := Insert([]byte(doc), map[string][]Sample{"getA": {{Lang: "Shell", Label: "curl", Source: "curl a"}}})
	require.NoError(t, err)
	assert.Contains(t, string(got), "x-webhooks:\n  event:\n    post:\n      operationId: receiveEvent\n      responses: {}\n\ncomponents: {}\n")
	assert.Equal(t, 1, strings.Count(string(got), "x-codeSamples:"), "only getA has samples")
}

func TestMultiline(t *testing.T) {
	assert.Equal(t, "T{\n\tA: f(1, 2),\n\tB: \"x, y\",\n\tC: []int{1, 2},\n}", multiline(`T{A: f(1, 2), B: "x, y", C: []int{1, 2}}`, "\t"))
	assert.Equal(t, "{\n  a: 1,\n  b: { c: 2, d: 3 },\n}", multiline(`{ a: 1, b: { c: 2, d: 3 } }`, "  "))
	assert.Equal(t, `T{A: 1}`, multiline(`T{A: 1}`, "\t"), "one field stays on its line")
}
