"""The second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

A user added with ``python -m app user add NAME --totp`` has a secret in the users file; signing in then
needs the six-digit code of the current 30-second step (or the one before or after, for a phone's clock
a little off). Each code is accepted once: the step it belongs to is recorded in Redis
(:meth:`app.store.sessions.AuthStore.use_totp_step`), and a code of that step or an earlier one is
refused afterwards. ``admin`` accounts must have one in ``password`` mode (:func:`app.auth.init_auth`).
"""

from __future__ import annotations

import hmac
import re

import pyotp

ISSUER = "Basira"
#: Steps either side of now that are accepted (a phone's clock a little off).
DRIFT = 1
CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh secret: 160 random bits in base32 (shown once, when the user is added)."""
    return pyotp.random_base32()


def uri(secret: str, user: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within :data:`DRIFT` steps of ``now``; ``None`` when none."""
    code = code.replace(" ", "")
    if not CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // totp.interval)
    found = None
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def keep_s(interval: int = 30) -> int:
    """How long a used step must be remembered: past the last moment its code is accepted."""
    return interval * (2 * DRIFT + 2)
