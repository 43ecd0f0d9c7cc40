"""Source text run inside BottleCRM's own interpreter: its settings module and ORM scripts.

These run in a separate virtual environment (Python >= 3.12, Django), never in syncline's
process, so they are kept as text and written to files next to the cached template.
"""

from __future__ import annotations

SETTINGS_MODULE = "syncline_bottlecrm_settings"

SETTINGS = '''"""BottleCRM settings for syncline's demo and tests (written by syncline)."""
import ipaddress
import os

from crm.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["SYNCLINE_BOTTLECRM_DB"],
        # SQLite has one writer: take the write lock at BEGIN and queue for it, instead of
        # failing with "database is locked" when parallel requests upgrade read locks.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = True
SECRET_KEY = os.environ["SYNCLINE_BOTTLECRM_SECRET_KEY"]
# Demo and test only: webhooks over plain http, devlogin-style tokens.
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Users are created by scripts; a fast hasher keeps bootstrap and logins quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Demo and test only: let webhooks reach syncline's receiver on loopback, on any port.
import webhooks.ssrf as _ssrf  # noqa: E402

_blocked = _ssrf.is_blocked


def _is_blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return False if ip.is_loopback else _blocked(ip)


_ssrf.is_blocked = _is_blocked
_ssrf._allowed_ports = lambda: range(1, 65536)
'''

BOOTSTRAP = '''"""Create the demo admin, organisation, profile and token."""
import json
import sys

import django

django.setup()

from common.models import Org, PersonalAccessToken, Profile, User

email, password, org_name = sys.argv[1:4]
user = User.objects.create_superuser(email=email, password=password)
org = Org.objects.create(name=org_name, company_name=org_name)
profile = Profile.objects.create(
    user=user,
    org=org,
    role="ADMIN",
    is_organization_admin=True,
    has_sales_access=True,
    has_marketing_access=True,
)
raw, _ = PersonalAccessToken.generate(profile, "syncline")

print(json.dumps({"token": raw, "org_id": str(org.id), "profile_id": str(profile.id)}))
'''

ACCESS_TOKEN = '''"""Print a short-lived JWT for the demo admin (as `django-admin devlogin`)."""
import sys

import django

django.setup()

from common.models import Org, Profile, User
from common.serializer import OrgAwareRefreshToken

email, org_name = sys.argv[1:3]
user = User.objects.get(email=email)
org = Org.objects.get(name=org_name)
profile = Profile.objects.get(user=user, org=org, is_active=True)
print(str(OrgAwareRefreshToken.for_user_and_org(user, org, profile).access_token))
'''
