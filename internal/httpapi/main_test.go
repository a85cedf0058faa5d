package httpapi_test

import (
	"os"
	"testing"

	"github.com/minicrm/crm/internal/apptest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	apptest.WriteCoverage(os.Getenv("CONTRACT_COVERAGE_FILE"))
	os.Exit(code)
}
