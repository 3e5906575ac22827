"""Outgoing mail, only when an SMTP server is configured (``POTBANK_SMTP_HOST``).

Without one, ``send_invitation`` returns False at once and connects to nothing: the caller
shows the link to the admin instead.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from archive.settings import Settings

TIMEOUT_SECONDS = 20


class MailFailed(RuntimeError):
    """The configured server refused or could not be reached; the message says why."""


def _body(link: str, inviter: str, days: int) -> str:
    # Both languages: the invited person's language is not known yet.
    return (
        f"{inviter} invites you to Potbank, the ceramics archive.\n"
        f"Open this link within {days} days to choose your password:\n\n{link}\n\n"
        f"{inviter} 邀请您加入 Potbank 陶瓷档案馆。\n"
        f"请在 {days} 天内打开上面的链接，设置您的密码。\n"
    )


def send_invitation(settings: Settings, to: str, link: str, inviter: str, days: int) -> bool:
    """Mail an invitation link; False when no mail is configured (nothing was tried)."""
    if not settings.mail_enabled:
        return False
    message = EmailMessage()
    message["Subject"] = "Potbank: your invitation / 您的邀请"
    message["From"] = settings.mail_from or settings.smtp_user or f"potbank@{settings.smtp_host}"
    message["To"] = to
    message.set_content(_body(link, inviter, days))
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailFailed(str(error)) from None
    return True
