import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger("config.celery")


def _publish_errors() -> tuple[type[BaseException], ...]:
    """What a broker that is down or unreachable raises from `apply_async` (after kombu's own
    publish retries): kombu wraps the transport's errors in its OperationalError."""
    from kombu.exceptions import OperationalError

    errors: list[type[BaseException]] = [OperationalError, OSError]
    try:
        from redis.exceptions import RedisError

        errors.append(RedisError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


class KycTask(DjangoTask):
    """DjangoTask whose `*_on_commit` publishing never undoes a committed change.

    The callback runs after the transaction committed: if the broker is down then, raising
    would turn a stored upload or a recorded decision into a 500 while the data stays
    written. The failure is logged instead, and the sweepers (kyc/sweepers.py, on beat)
    enqueue again whatever was left without its task: unchecked documents, pending reports,
    unsent notifications; webhook deliveries by dispatch_due_webhooks_task."""

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        from django.db import transaction

        publish = functools.partial(self.delay, *args, **kwargs)
        transaction.on_commit(functools.partial(self._publish_safely, publish, args))

    def apply_async_on_commit(self, *args: Any, **kwargs: Any) -> None:
        from django.db import transaction

        publish = functools.partial(self.apply_async, *args, **kwargs)
        task_args = args[0] if args else kwargs.get("args")
        transaction.on_commit(functools.partial(self._publish_safely, publish, task_args))

    def _publish_safely(self, publish: Callable[[], Any], task_args: Any) -> Any:
        try:
            return publish()
        except _publish_errors() as exc:
            logger.error(
                "could not publish %s%r after commit (%s: %s); a sweeper will enqueue it again",
                self.name,
                tuple(task_args or ()),
                type(exc).__name__,
                exc,
            )
            return None


app = Celery("merchant_kyc", task_cls="config.celery:KycTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
