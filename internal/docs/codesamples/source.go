package codesamples

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Names are the exported package-level names declared by the Go files of dir (not its tests).
func Names(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		for name, obj := range f.Scope.Objects {
			if ast.IsExported(name) && obj.Kind != ast.Bad {
				names[name] = true
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no Go declarations in %s", dir)
	}
	return names, nil
}

// Consts are the typed string constants of a Go file: type → value → constant (the enum values
// oapi-codegen declares, e.g. DealStage "proposal" → DealStageProposal).
func Consts(path string) (map[string]map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, ok := vs.Type.(*ast.Ident)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return nil, err
			}
			if out[typ.Name] == nil {
				out[typ.Name] = map[string]string{}
			}
			out[typ.Name][v] = vs.Names[0].Name
		}
	}
	return out, nil
}

var operationID = []byte("operationId:")

// Insert writes the samples into the YAML text of the spec as each operation's x-codeSamples,
// last of the operation's keys, replacing the ones it has; every other line stays as it is.
func Insert(doc []byte, samples map[string][]Sample) ([]byte, error) {
	lines := strings.SplitAfter(string(doc), "\n")
	indentOf := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	blank := func(l string) bool { return strings.TrimSpace(l) == "" }
	var out []string
	done := map[string]bool{}
	// The operations a client calls are those under paths; the others (x-webhooks: what the
	// service sends) get no samples.
	inPaths := false
	for i := 0; i < len(lines); {
		l := lines[i]
		trimmed := strings.TrimSpace(l)
		if indentOf(l) == 0 && !blank(l) && !strings.HasPrefix(l, "#") {
			inPaths = l == "paths:\n"
		}
		if !inPaths || !strings.HasPrefix(trimmed, string(operationID)) {
			out = append(out, l)
			i++
			continue
		}
		id := strings.Trim(strings.TrimSpace(strings.TrimPrefix(trimmed, string(operationID))), `"'`)
		ind := indentOf(l)
		// The operation's keys are at ind; it ends at the first line indented less.
		end := i + 1
		for end < len(lines) && (blank(lines[end]) || indentOf(lines[end]) >= ind) {
			end++
		}
		for end > i+1 && blank(lines[end-1]) {
			end--
		}
		pad := strings.Repeat(" ", ind)
		for j := i; j < end; j++ {
			// Drop the old samples: the key and everything under it.
			if lines[j] == pad+"x-codeSamples:\n" || j > i && (blank(lines[j]) || indentOf(lines[j]) > ind) && inSamples(lines, i, j, pad) {
				continue
			}
			out = append(out, lines[j])
		}
		s, ok := samples[id]
		if !ok {
			return nil, fmt.Errorf("no samples for the operation %s", id)
		}
		out = append(out, block(pad, s)...)
		done[id] = true
		i = end
	}
	for id := range samples {
		if !done[id] {
			return nil, fmt.Errorf("the operation %s of the samples is not in the document", id)
		}
	}
	res := []byte(strings.Join(out, ""))
	var check yaml.Node
	if err := yaml.Unmarshal(res, &check); err != nil {
		return nil, fmt.Errorf("the document with the samples is no YAML: %w", err)
	}
	return res, nil
}

// inSamples reports whether line j (of the operation starting at line i) lies under the
// operation's x-codeSamples key.
func inSamples(lines []string, i, j int, pad string) bool {
	for k := j - 1; k >= i; k-- {
		if strings.HasPrefix(lines[k], pad) && len(lines[k]) > len(pad) && lines[k][len(pad)] != ' ' {
			return lines[k] == pad+"x-codeSamples:\n"
		}
	}
	return false
}

func block(pad string, samples []Sample) []string {
	out := []string{pad + "x-codeSamples:\n"}
	for _, s := range samples {
		out = append(out,
			pad+"  - lang: "+s.Lang+"\n",
			pad+"    label: "+strconv.Quote(s.Label)+"\n",
			pad+"    source: |-\n")
		for _, l := range strings.Split(s.Source, "\n") {
			if l == "" {
				out = append(out, "\n")
				continue
			}
			out = append(out, pad+"      "+l+"\n")
		}
	}
	return out
}
