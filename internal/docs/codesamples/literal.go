package codesamples

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"
	"gopkg.in/yaml.v3"

	"github.com/minicrm/crm/money"
)

// goLiterals writes Go literals of the generated client's types from YAML example values.
type goLiterals struct {
	clientPkg string                       // the import path of gen/client
	sdkNames  map[string]bool              // the package-level names crmsdk declares (it re-exports the client's)
	consts    map[string]map[string]string // the client's enum constants: type → value → name
	vars      map[string]bool              // the variables the literals refer to (ids)
}

var (
	uuidType  = reflect.TypeFor[uuid.UUID]()
	dateType  = reflect.TypeFor[openapi_types.Date]()
	timeType  = reflect.TypeFor[time.Time]()
	moneyType = reflect.TypeFor[money.Amount]()
)

// typeName is how a sample names t: crmsdk's name where it has one, the client's otherwise.
func (g *goLiterals) typeName(t reflect.Type) string {
	switch t {
	case uuidType:
		return "uuid.UUID"
	case moneyType:
		return "money.Amount"
	case dateType:
		return "openapi_types.Date"
	case timeType:
		return "time.Time"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + g.typeName(t.Elem())
	case reflect.Slice:
		return "[]" + g.typeName(t.Elem())
	case reflect.Map:
		if t.Name() == "" {
			return "map[" + g.typeName(t.Key()) + "]" + g.typeName(t.Elem())
		}
	case reflect.Interface:
		if t.Name() == "" {
			return "any"
		}
	}
	if t.PkgPath() == g.clientPkg {
		return g.qualify(t.Name())
	}
	return t.String()
}

func (g *goLiterals) qualify(name string) string {
	if g.sdkNames[name] {
		return "crmsdk." + name
	}
	return "client." + name
}

// lit is a Go expression of type t for the example v of the JSON field field. typed asks for an
// expression that has type t by itself (the operand of new), not an untyped constant.
func (g *goLiterals) lit(t reflect.Type, v *yaml.Node, field string, typed bool) (string, error) {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch t {
	case uuidType:
		if strings.HasSuffix(field, "_id") {
			name := camel(field, true)
			g.vars[name] = true
			return name, nil
		}
		return fmt.Sprintf("uuid.MustParse(%q)", v.Value), nil
	case moneyType:
		return fmt.Sprintf("money.MustParse(%q)", v.Value), nil
	case dateType:
		d, err := time.Parse(time.DateOnly, v.Value)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return fmt.Sprintf("openapi_types.Date{Time: time.Date(%d, %d, %d, 0, 0, 0, 0, time.UTC)}", d.Year(), d.Month(), d.Day()), nil
	case timeType:
		d, err := time.Parse(time.RFC3339, v.Value)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		d = d.UTC()
		return fmt.Sprintf("time.Date(%d, %d, %d, %d, %d, %d, 0, time.UTC)", d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second()), nil
	}
	if strings.HasPrefix(t.Name(), "Nullable[") && t.Kind() == reflect.Map {
		// oapi-codegen/nullable: a value, or an explicit null.
		if v.Tag == "!!null" {
			return fmt.Sprintf("nullable.NewNullNullable[%s]()", g.typeName(t.Elem())), nil
		}
		inner, err := g.lit(t.Elem(), v, field, true)
		if err != nil {
			return "", err
		}
		return "nullable.NewNullableWithValue(" + inner + ")", nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.Tag == "!!null" {
			return "nil", nil
		}
		if t.Elem().Kind() == reflect.Struct && t.Elem() != moneyType && t.Elem() != dateType && t.Elem() != timeType && t.Elem() != uuidType {
			inner, err := g.lit(t.Elem(), v, field, false)
			return "&" + inner, err
		}
		inner, err := g.lit(t.Elem(), v, field, true)
		if err != nil {
			return "", err
		}
		return "new(" + inner + ")", nil
	case reflect.Struct:
		return g.structLit(t, v)
	case reflect.Slice:
		var items []string
		for _, c := range v.Content {
			s, err := g.lit(t.Elem(), c, field, false)
			if err != nil {
				return "", err
			}
			items = append(items, s)
		}
		return g.typeName(t) + "{" + strings.Join(items, ", ") + "}", nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String || v.Kind != yaml.MappingNode {
			return "", fmt.Errorf("%s: cannot write %s from the example", field, t)
		}
		var items []string
		for i := 0; i+1 < len(v.Content); i += 2 {
			s, err := g.lit(t.Elem(), v.Content[i+1], v.Content[i].Value, false)
			if err != nil {
				return "", err
			}
			items = append(items, strconv.Quote(v.Content[i].Value)+": "+s)
		}
		return g.typeName(t) + "{" + strings.Join(items, ", ") + "}", nil
	case reflect.Interface:
		return g.anyLit(v)
	case reflect.String:
		if t.Name() != "string" {
			if name, ok := g.consts[t.Name()][v.Value]; ok && t.PkgPath() == g.clientPkg {
				return g.qualify(name), nil
			}
			if typed {
				return g.typeName(t) + "(" + strconv.Quote(v.Value) + ")", nil
			}
		}
		return strconv.Quote(v.Value), nil
	case reflect.Bool:
		return v.Value, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if typed && t.Kind() != reflect.Int && t.Kind() != reflect.Float64 || t.Name() != t.Kind().String() {
			return g.typeName(t) + "(" + v.Value + ")", nil
		}
		return v.Value, nil
	}
	return "", fmt.Errorf("%s: no literal for %s", field, t)
}

func (g *goLiterals) structLit(t reflect.Type, v *yaml.Node) (string, error) {
	if v.Kind != yaml.MappingNode {
		return "", fmt.Errorf("%s: the example is not an object", t)
	}
	byJSON := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			return "", fmt.Errorf("%s has unexported fields (a union?): no literal from an example", t)
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		byJSON[name] = f
	}
	var fields []string
	for i := 0; i+1 < len(v.Content); i += 2 {
		key := v.Content[i].Value
		f, ok := byJSON[key]
		if !ok {
			return "", fmt.Errorf("%s has no field %q (the example's)", t, key)
		}
		s, err := g.lit(f.Type, v.Content[i+1], key, false)
		if err != nil {
			return "", err
		}
		fields = append(fields, f.Name+": "+s)
	}
	return g.typeName(t) + "{" + strings.Join(fields, ", ") + "}", nil
}

// anyLit is a JSON value as a Go value of an interface type.
func (g *goLiterals) anyLit(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.MappingNode:
		var items []string
		for i := 0; i+1 < len(v.Content); i += 2 {
			s, err := g.anyLit(v.Content[i+1])
			if err != nil {
				return "", err
			}
			items = append(items, strconv.Quote(v.Content[i].Value)+": "+s)
		}
		return "map[string]any{" + strings.Join(items, ", ") + "}", nil
	case yaml.SequenceNode:
		var items []string
		for _, c := range v.Content {
			s, err := g.anyLit(c)
			if err != nil {
				return "", err
			}
			items = append(items, s)
		}
		return "[]any{" + strings.Join(items, ", ") + "}", nil
	case yaml.ScalarNode:
		switch v.ShortTag() {
		case "!!null":
			return "nil", nil
		case "!!bool", "!!int", "!!float":
			return v.Value, nil
		}
		return strconv.Quote(v.Value), nil
	}
	return "", fmt.Errorf("no literal for YAML node kind %d", v.Kind)
}

// tsLiteral writes a TypeScript object literal of a JSON example, following its schema where the
// SDK's types differ from JSON's: money (format: decimal) is a string in the SDK. Fields named
// *_id refer to the variable of that name (contact_id: contactId).
type tsLiterals struct {
	spec *Spec
	vars map[string]bool
}

func (w *tsLiterals) lit(v, schema *yaml.Node, field string) string {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	schema = w.spec.deref(schema)
	switch v.Kind {
	case yaml.MappingNode:
		props := get(schema, "properties")
		var items []string
		for i := 0; i+1 < len(v.Content); i += 2 {
			key := v.Content[i].Value
			items = append(items, tsKey(key)+": "+w.lit(v.Content[i+1], get(props, key), key))
		}
		if len(items) == 0 {
			return "{}"
		}
		return "{ " + strings.Join(items, ", ") + " }"
	case yaml.SequenceNode:
		var items []string
		for _, c := range v.Content {
			items = append(items, w.lit(c, get(schema, "items"), field))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	if f := get(schema, "format"); f != nil && f.Value == "decimal" && v.ShortTag() != "!!null" {
		return strconv.Quote(v.Value)
	}
	switch v.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool", "!!int", "!!float":
		return v.Value
	}
	if strings.HasSuffix(field, "_id") {
		name := camel(field, false)
		w.vars[name] = true
		return name
	}
	return strconv.Quote(v.Value)
}

// tsKey is an object key as TypeScript writes it: bare when it is an identifier.
func tsKey(k string) string {
	for i, r := range k {
		identifier := r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !identifier {
			return strconv.Quote(k)
		}
	}
	return k
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// maxLine is the longest sample line left on one line: past it, the body's literal puts one field
// per line (the portal's code panel is narrow).
const maxLine = 100

// splitTop splits the inside of a literal at its top-level commas (not those of nested literals,
// calls or strings).
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '`' || c == '\'':
			quote = c
		case c == '{' || c == '(' || c == '[':
			depth++
		case c == '}' || c == ')' || c == ']':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		parts = append(parts, rest)
	}
	return parts
}

// multiline writes a one-line literal `prefix{a, b}` (TypeScript `{ a, b }`) with one element per
// line, indented by ind, when it has more than one; otherwise it returns lit as it is.
func multiline(lit, ind string) string {
	open := strings.IndexByte(lit, '{')
	if open < 0 || !strings.HasSuffix(lit, "}") {
		return lit
	}
	parts := splitTop(lit[open+1 : len(lit)-1])
	if len(parts) < 2 {
		return lit
	}
	return lit[:open+1] + "\n" + ind + strings.Join(parts, ",\n"+ind) + ",\n}"
}
