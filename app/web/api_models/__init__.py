"""The request and response models of the HTTP surface (CONTRACT sections 5 to 8), from which
`api_docs` generates the OpenAPI document.

They describe; the views keep their own checks and their own clear errors (a model does not turn a
400 that says what is wrong into a generic 422). tests/integration/test_openapi.py holds the models
to the answers the API really gives.
"""

from app.web.api_models.alerts_in import *  # noqa: F403
from app.web.api_models.common import *  # noqa: F403
from app.web.api_models.incidents import *  # noqa: F403
from app.web.api_models.schedules import *  # noqa: F403
from app.web.api_models.webhooks import *  # noqa: F403
