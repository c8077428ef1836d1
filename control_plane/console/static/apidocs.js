// Swagger UI over the API's own OpenAPI document (a separate file: no inline script).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
