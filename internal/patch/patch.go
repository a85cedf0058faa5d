// Package patch is how a partial update says, field by field, what to change: leave the field
// alone (the zero Field), clear it (Null), or set it to a value (Set). Every resource's update uses
// it, whatever the request looked like on the wire.
package patch

// Field is one field of a partial update.
type Field[T any] struct {
	given bool
	null  bool
	value T
}

// Set changes the field to v.
func Set[T any](v T) Field[T] { return Field[T]{given: true, value: v} }

// Null clears the field.
func Null[T any]() Field[T] { return Field[T]{given: true, null: true} }

// FromPtr leaves the field alone when p is nil and sets it to *p otherwise: a field that cannot
// be cleared.
func FromPtr[T any](p *T) Field[T] {
	if p == nil {
		return Field[T]{}
	}
	return Set(*p)
}

// Map converts a field's value, keeping whether it was given or cleared.
func Map[A, B any](f Field[A], fn func(A) B) Field[B] {
	if !f.given || f.null {
		return Field[B]{given: f.given, null: f.null}
	}
	return Set(fn(f.value))
}

// Given reports whether the update names the field at all (to set or to clear it).
func (f Field[T]) Given() bool { return f.given }

// Value is the new value when the field is set to one.
func (f Field[T]) Value() (T, bool) { return f.value, f.given && !f.null }

// Or is the field's new value given its current one cur, for a field that cannot be cleared.
func (f Field[T]) Or(cur T) T {
	if v, ok := f.Value(); ok {
		return v
	}
	return cur
}

// OrPtr is the field's new value given its current one cur, for an optional field stored as a
// pointer: nil when cleared.
func (f Field[T]) OrPtr(cur *T) *T {
	switch {
	case !f.given:
		return cur
	case f.null:
		return nil
	}
	v := f.value
	return &v
}
