// Package money is the amount type of the API: an exact decimal that travels as a JSON number
// (never through float arithmetic) with at most two decimals, as stored in numeric(14,2).
package money

import (
	"bytes"
	"database/sql/driver"
	"fmt"

	"github.com/shopspring/decimal"
)

// Amount is an exact money amount. The zero value is 0.
type Amount struct {
	decimal.Decimal
}

// New returns the amount of a decimal.
func New(d decimal.Decimal) Amount { return Amount{d} }

// MustParse parses s or panics; for constants and tests.
func MustParse(s string) Amount { return Amount{decimal.RequireFromString(s)} }

// HasCents reports whether a has at most two decimals.
func (a Amount) HasCents() bool { return a.Equal(a.Round(2)) }

// String formats with exactly two decimals, e.g. "1500.00".
func (a Amount) String() string { return a.StringFixed(2) }

// MarshalJSON writes a JSON number with two decimals.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.StringFixed(2)), nil }

// UnmarshalJSON reads a JSON number (a quoted number is accepted too) without float rounding.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	a.Decimal = d
	return nil
}

// Scan reads a numeric column.
func (a *Amount) Scan(v any) error { return a.Decimal.Scan(v) }

// Value writes a numeric column.
func (a Amount) Value() (driver.Value, error) { return a.Decimal.Value() }

// Bind parses a query-string value (oapi-codegen's runtime.Binder).
func (a *Amount) Bind(src string) error {
	d, err := decimal.NewFromString(src)
	if err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	a.Decimal = d
	return nil
}
