// Package docs serves the documentation portal from assets embedded in the binary (no CDN, works
// offline): Swagger UI at /docs, ReDoc at /redoc, and the contract at /openapi.yaml and /openapi.json.
package docs

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed assets/*.js assets/*.css
var assets embed.FS

//go:embed swagger-init.js
var swaggerInit []byte

const swaggerPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Mini-CRM API — Swagger UI</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-init.js"></script>
</body>
</html>
`

const redocPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Mini-CRM API — Reference</title>
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
  <script src="/docs/assets/redoc.standalone.js"></script>
</body>
</html>
`

// Content-Security-Policy of the two portal pages: everything from the service itself and nothing
// inline (the Swagger UI start-up is a file for that reason), no framing (clickjacking), no plugins,
// no base or form targets. ReDoc needs two exceptions, checked in headless Chromium by
// `make portal-test`: inline styles (styled-components injects <style> elements) and its search
// worker, which it starts from a blob: URL. Images from elsewhere (ReDoc's "API docs by Redocly"
// logo) are blocked; ReDoc hides the logo then.
const (
	swaggerCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	redocCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; " +
		"frame-ancestors 'none'"
)

// Register adds the portal's routes to e. specYAML is the contract the binary implements;
// /openapi.json is the same document, in the same order.
func Register(e *echo.Echo, specYAML []byte) error {
	specJSON, err := JSON(specYAML)
	if err != nil {
		return fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	sub, _ := fs.Sub(assets, "assets")
	e.GET("/docs/assets/*", func(c echo.Context) error {
		// Files only: a directory (the folder itself included) is a 404, never a listing.
		name := c.Param("*")
		if fi, err := fs.Stat(sub, name); err != nil || !fi.Mode().IsRegular() {
			return echo.ErrNotFound
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return echo.StaticFileHandler(name, sub)(c)
	})
	e.GET("/docs/swagger-init.js", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", swaggerInit)
	})
	e.GET("/docs", page(swaggerPage, swaggerCSP))
	e.GET("/redoc", page(redocPage, redocCSP))
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, specJSON)
	})
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", specYAML)
	})
	return nil
}

// page serves an HTML page that may not be framed and may load only what csp allows.
func page(html, csp string) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		return c.HTML(http.StatusOK, html)
	}
}
