"""manage.py sweep_stuck_checks: the same job as sweep_stuck_work (checks, report builds and
notifications), under the name the operations guide first gave it."""

from .sweep_stuck_work import Command as SweepStuckWork


class Command(SweepStuckWork):
    pass
