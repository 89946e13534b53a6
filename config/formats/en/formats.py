"""English formats: Django's, unchanged (listed so FORMAT_MODULE_PATH finds every language)."""

from django.conf.locale.en.formats import *  # noqa: F403
