"""Whether a real answer conforms to the published OpenAPI document."""

import jsonschema


def conforms(document, path, method, response):
    """Assert `response` is documented for (path, method) and matches its schema."""
    operation = document["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method.upper()} {path} → {response.status_code} is not documented"
    schema = documented["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator(
        {**schema, "components": document["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(response.get_json())
