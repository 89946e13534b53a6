import json

from django.test import RequestFactory

from config.views import server_error


def test_an_unexpected_api_failure_uses_the_error_shape():
    response = server_error(RequestFactory().get("/api/v1/cases/"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"


def test_an_unexpected_page_failure_is_html():
    response = server_error(RequestFactory().get("/review/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
