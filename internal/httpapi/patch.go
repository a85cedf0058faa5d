package httpapi

import (
	"github.com/minicrm/crm/internal/patch"
	"github.com/oapi-codegen/nullable"
)

// fromNullable is a nullable request field as a patch field: absent, null (clear) or a value.
func fromNullable[T any](n nullable.Nullable[T]) patch.Field[T] {
	switch {
	case !n.IsSpecified():
		return patch.Field[T]{}
	case n.IsNull():
		return patch.Null[T]()
	}
	return patch.Set(n.MustGet())
}

// fromEnum is an optional enum request field (a named string type) as a patch field.
func fromEnum[E ~string](p *E) patch.Field[string] {
	return patch.Map(patch.FromPtr(p), func(e E) string { return string(e) })
}
