// Command codesamples writes the code samples of the documentation portal (internal/docs/codesamples):
// the x-codeSamples of every operation of openapi.yaml (curl, the TypeScript SDK, the Go SDK), and
// the two files that check them, internal/docs/codesamples/gocheck/samples.gen.go (compiled with
// the module) and docs/codesamples/samples.gen.ts (type-checked by `make codesamples-check`). Run
// from the module root by `make generate`; it writes a file only when its content changes.
//
// With -description it writes nothing and prints the spec's info.description instead (Markdown),
// for `make getting-started-check`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/minicrm/crm/internal/docs/codesamples"
)

func main() {
	description := flag.Bool("description", false, "print info.description of openapi.yaml and exit")
	flag.Parse()
	run := run
	if *description {
		run = printDescription
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "codesamples:", err)
		os.Exit(1)
	}
}

func run() error {
	const specPath = "openapi.yaml"
	doc, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	spec, err := codesamples.Parse(doc)
	if err != nil {
		return err
	}
	names, err := codesamples.Names("sdk/go/crmsdk")
	if err != nil {
		return err
	}
	consts, err := codesamples.Consts("gen/client/client.gen.go")
	if err != nil {
		return err
	}
	res, err := codesamples.Generate(spec, names, consts)
	if err != nil {
		return err
	}
	withSamples, err := codesamples.Insert(doc, res.Samples)
	if err != nil {
		return err
	}
	for path, content := range map[string][]byte{
		specPath: withSamples,
		"internal/docs/codesamples/gocheck/samples.gen.go": res.GoCheck,
		"docs/codesamples/samples.gen.ts":                  res.TSCheck,
	} {
		if err := writeIfChanged(path, content); err != nil {
			return err
		}
	}
	return nil
}

func writeIfChanged(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) { //nolint:gosec // one of the three paths of run
		return nil
	}
	return os.WriteFile(path, content, 0o644) //nolint:gosec // committed source files, readable like the others
}

func printDescription() error {
	doc, err := os.ReadFile("openapi.yaml")
	if err != nil {
		return err
	}
	var spec struct {
		Info struct {
			Description string `yaml:"description"`
		} `yaml:"info"`
	}
	if err := yaml.Unmarshal(doc, &spec); err != nil {
		return err
	}
	_, err = os.Stdout.WriteString(spec.Info.Description)
	return err
}
