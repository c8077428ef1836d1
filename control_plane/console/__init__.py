"""The web console: server-rendered pages over the API's own handlers.

Pages call the API routes in process (``apicall``), so a page can show or do nothing the same
user could not through ``/api/v1``: the permission table, the services' row rules and the
audit log apply unchanged. Sign-in is a refresh token in an HttpOnly cookie; every form
carries a CSRF token derived from it. htmx, Chart.js and Swagger UI are vendored under
``static/vendor`` with their licences and checksums: there is no build step.
"""
