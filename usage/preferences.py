"""Each person's display time zone (UserPreference), and running a view in it."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.utils import timezone

from usage.models import UserPreference


def time_zone_of(user) -> zoneinfo.ZoneInfo:
    """The user's chosen zone, or the site's (TIME_ZONE) when none is chosen or it is unknown."""
    name = ""
    if user is not None and user.is_authenticated:
        name = (
            UserPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
            or ""
        )
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def in_user_time_zone(view):
    """Render the view in the user's zone (templates show local times); `request.time_zone` is
    that zone. The zone is set for this request only, never left active for the next one."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        request.time_zone = time_zone_of(request.user)
        with timezone.override(request.time_zone):
            return view(request, *args, **kwargs)

    return wrapped
