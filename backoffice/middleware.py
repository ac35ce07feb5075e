from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class StoreLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the person chose English: the browser's Accept-Language is not consulted,
    so every agent sees the same desk whatever browser their PC came with."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
