from django.http import HttpRequest, HttpResponse


def queue(request: HttpRequest, queue: str) -> HttpResponse:
    raise NotImplementedError
