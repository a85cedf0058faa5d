// Package docs serves the documentation portal from assets embedded in the binary (no CDN, works
// offline): Swagger UI at /docs, ReDoc at /redoc, and the contract at /openapi.yaml and /openapi.json.
package docs

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed assets/*.js assets/*.css
var assets embed.FS

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
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      tryItOutEnabled: true
    });
  </script>
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

// Register adds the portal's routes to e. specJSON and specYAML are the contract the binary
// implements.
func Register(e *echo.Echo, specJSON, specYAML []byte) {
	sub, _ := fs.Sub(assets, "assets")
	static := http.StripPrefix("/docs/assets/", http.FileServer(http.FS(sub)))
	e.GET("/docs/assets/*", echo.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		static.ServeHTTP(w, r)
	})))
	e.GET("/docs", html(swaggerPage))
	e.GET("/redoc", html(redocPage))
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, specJSON)
	})
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", specYAML)
	})
}

func html(page string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.HTML(http.StatusOK, page) }
}
