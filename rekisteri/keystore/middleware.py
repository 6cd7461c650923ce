"""One key scope per request: each person's key is looked up at most once per request."""

from rekisteri.keystore.services import key_scope


class KeyScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with key_scope():
            return self.get_response(request)
