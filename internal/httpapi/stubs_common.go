package httpapi

import "errors"

// errNotImplemented answers an operation whose handler is not written yet (500, logged).
var errNotImplemented = errors.New("not implemented")
