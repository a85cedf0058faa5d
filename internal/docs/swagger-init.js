// Starts Swagger UI on the service's own contract. It lives in a file, not inline in the page, so
// the page's Content-Security-Policy can forbid inline scripts. The bearer token typed into
// "Authorize" stays in memory only: persistAuthorization would keep it in localStorage, where any
// script on the origin could read it. No external validator badge (validatorUrl: null).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: true,
  validatorUrl: null
});
