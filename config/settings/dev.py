"""The embedded default: SQLite, local files, in-process tasks, a generated secret key."""

import os

from .base import *  # noqa: F403
from .base import dev_secret_key, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or dev_secret_key()
