"""Simplified Chinese number formats: Django's own zh_Hans locale has no thousands separator,
so 1250000 USD reads as "1250000". Amounts on business documents in mainland China group by
three with commas (1,250,000), as the merchant's bank statements and invoices do; dates and
the rest stay Django's."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
