"""HTTP routes of the streaming endpoint, shared by the core, every cloud gateway and ``destkit serve``.

Gateway code imports these constants so the deployed routes and the function code cannot drift apart.
"""

# AEP posts profile batches here (``POST``).
INTAKE_PATH = "/v1/profiles"

# Audience metadata API: ``POST`` creates, ``PUT``/``DELETE`` on ``/v1/audiences/{id}`` update and delete.
AUDIENCES_PATH = "/v1/audiences"
AUDIENCE_ITEM_PATH = "/v1/audiences/{id}"
AUDIENCE_ID_PARAMETER = "id"

# OAuth 2.0 client-credentials token endpoint (``POST``) and the issuer's JSON Web Key Set (``GET``).
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a credential
JWKS_PATH = "/.well-known/jwks.json"

# (method, path template) of every route the intake function serves.
INTAKE_ROUTES = (("POST", INTAKE_PATH),)
AUDIENCE_ROUTES = (
    ("POST", AUDIENCES_PATH),
    ("PUT", AUDIENCE_ITEM_PATH),
    ("DELETE", AUDIENCE_ITEM_PATH),
)
