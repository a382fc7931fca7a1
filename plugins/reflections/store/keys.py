"""The service's secrets (signing keys, the author's password hash, the last digest's moment) and
the author's logged-in sessions."""

import secrets
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from .engine import now
from .tables import SecretRow, SessionRow


class Keys:
    def secret(self, name: str, make) -> str:
        """A named secret, made once by `make()` and shared by every instance using this database."""
        with self.sessions() as session:
            found = session.get(SecretRow, name)
            if found is not None:
                return found.value
        try:
            with self.sessions.begin() as session:
                session.add(SecretRow(name=name, value=make()))
        except IntegrityError:
            pass  # another process made it first (two commands started at once): theirs is kept
        with self.sessions() as session:
            return session.get(SecretRow, name).value

    def get_secret(self, name: str) -> str | None:
        with self.sessions() as session:
            found = session.get(SecretRow, name)
            return found.value if found else None

    def replace_secret(self, name: str, value: str) -> None:
        with self.sessions.begin() as session:
            session.merge(SecretRow(name=name, value=value))

    def swap_secret(self, name: str, expected: str | None, value: str) -> bool:
        """Set a secret only if it still holds `expected` (None: it does not exist yet); True when
        this call set it. Of several instances doing the same thing at once, exactly one wins."""
        with self.sessions.begin() as session:
            if expected is None:
                try:
                    with session.begin_nested():
                        session.add(SecretRow(name=name, value=value))
                except IntegrityError:
                    return False
                return True
            changed = session.execute(
                update(SecretRow)
                .where(SecretRow.name == name, SecretRow.value == expected)
                .values(value=value)
            ).rowcount
        return changed == 1

    # The author's sessions: a cookie is worth something only while its row is here.
    def open_session(self, lifetime: timedelta) -> str:
        session_id = secrets.token_urlsafe(32)
        moment = now()
        with self.sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.expires < moment))
            session.add(SessionRow(id=session_id, created=moment, expires=moment + lifetime))
        return session_id

    def session_alive(self, session_id: str) -> bool:
        if not session_id:
            return False
        with self.sessions() as session:
            found = session.get(SessionRow, session_id)
            return found is not None and found.expires > now()

    def end_session(self, session_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.id == session_id))

    def end_every_session(self) -> int:
        with self.sessions.begin() as session:
            return session.execute(delete(SessionRow)).rowcount
