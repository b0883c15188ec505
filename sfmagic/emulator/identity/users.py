"""Users: ``User`` rows, their credentials, logins and lockouts."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from sfmagic.emulator.identity.model import (
    CREDENTIAL_COLUMNS,
    LOCKOUT_SECONDS,
    MAX_FAILED_LOGINS,
    PASSWORD_ITERATIONS,
    IdentityBase,
    LoginError,
    User,
    hash_password,
    random_text,
    stored_datetime,
)
from sfmagic.emulator.ids import to_18


class UserRegistry(IdentityBase):
    """The user half of ``Identity``."""

    def create_user(
        self,
        username: str,
        *,
        last_name: str,
        first_name: str = "",
        email: str | None = None,
        password: str | None = None,
        security_token: str | None = None,
        time_zone: str | None = None,
        profile: str = "Standard User",
        is_active: bool = True,
    ) -> User:
        """Add a user: a ``User`` row plus its private credentials.

        A user made without a password exists (it can own records) but cannot
        log in until ``set_password``. The security token defaults to a random
        24-character one. Raises ``ValueError`` for a username that is not
        email-shaped or already taken.
        """
        if "@" not in username or username != username.strip():
            raise ValueError("a username must look like an email address")
        salt = secrets.token_bytes(16)
        hashed = (
            hash_password(password, salt, PASSWORD_ITERATIONS) if password else None
        )
        token = security_token or random_text(24)
        with self._write() as conn:
            if conn.execute(
                "SELECT 1 FROM _credentials WHERE username = ?", (username,)
            ).fetchone():
                raise ValueError("a user with this username already exists")
            user_id = self._store.new_id("User")
            row = self._user_row(user_id, username, first_name, last_name)
            row.update(
                Email=email or username,
                TimeZoneSidKey=time_zone or self.settings.time_zone,
                IsActive=int(is_active),
                ProfileId=self._profile_id(conn, profile),
            )
            self._store.insert_rows("User", [self._only(row, self._user_columns)])
            conn.execute(
                f"INSERT INTO _credentials ({CREDENTIAL_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL)",
                (user_id, username, hashed, salt, PASSWORD_ITERATIONS, token, profile),
            )
        user = self.get_user(user_id)
        assert user is not None
        return user

    @staticmethod
    def _only(row: dict[str, Any], columns: set[str]) -> dict[str, Any]:
        return {key: value for key, value in row.items() if key in columns}

    def _user_row(
        self, user_id: str, username: str, first: str, last: str
    ) -> dict[str, Any]:
        stamp = stored_datetime(self.now())
        return {
            "Id": user_id,
            "Username": username,
            "FirstName": first or None,
            "LastName": last,
            "Name": f"{first} {last}".strip(),
            "Alias": ((first[:1] + last)[:8] or "user").lower(),
            "CommunityNickname": f"{username.split('@')[0]}.{user_id[9:15]}",
            "LocaleSidKey": "en_US",
            "LanguageLocaleKey": "en_US",
            "EmailEncodingKey": "UTF-8",
            "UserType": "Standard",
            "IsDeleted": 0,
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
            "CreatedById": user_id,
            "LastModifiedById": user_id,
        }

    def _profile_id(self, conn: Any, profile: str) -> str | None:
        """The Id of the ``Profile`` row named ``profile``, made when missing."""
        if not {"Id", "Name"} <= self._profile_columns:
            return None
        found = conn.execute(
            'SELECT "Id" FROM "Profile" WHERE "Name" = ?', (profile,)
        ).fetchone()
        if found:
            return str(found[0])
        profile_id = self._store.new_id("Profile")
        stamp = stored_datetime(self.now())
        row = {
            "Id": profile_id,
            "Name": profile,
            "UserType": "Standard",
            "IsDeleted": 0,
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
        }
        self._store.insert_rows("Profile", [self._only(row, self._profile_columns)])
        return profile_id

    def get_user(self, user_id: str) -> User | None:
        """The user with this id (15 or 18 characters), or None."""
        try:
            user_id = to_18(user_id)
        except ValueError:
            return None
        return self._load_user("user_id = ?", user_id)

    def find_user(self, username: str) -> User | None:
        """The user with this username (in any case), or None."""
        return self._load_user("username = ?", username)

    def list_users(self) -> list[User]:
        """Every user, in creation order."""
        rows = self._read("SELECT user_id FROM _credentials ORDER BY rowid")
        users = [self.get_user(row[0]) for row in rows]
        return [user for user in users if user is not None]

    def _load_user(self, where: str, value: str) -> User | None:
        wanted = [
            "FirstName",
            "LastName",
            "Name",
            "Email",
            "TimeZoneSidKey",
            "IsActive",
        ]
        present = [c for c in wanted if c in self._user_columns]
        selected = ", ".join(f'u."{c}"' for c in present)
        with self._store.lock:
            row = self._store.conn.execute(
                f"SELECT c.user_id, c.username, c.profile, c.locked_until, {selected}"
                f' FROM _credentials c JOIN "User" u ON u."Id" = c.user_id'
                f" WHERE c.{where}",
                (value,),
            ).fetchone()
        if row is None:
            return None
        values = dict(zip(present, tuple(row)[4:], strict=True))
        return User(
            id=row[0],
            username=row[1],
            name=str(values.get("Name") or values.get("LastName") or ""),
            first_name=str(values.get("FirstName") or ""),
            last_name=str(values.get("LastName") or ""),
            email=str(values.get("Email") or row[1]),
            time_zone=str(values.get("TimeZoneSidKey") or self.settings.time_zone),
            profile=row[2],
            is_active=bool(values.get("IsActive", 1)),
            locked=bool(row[3] and row[3] > self.now()),
        )

    def set_password(self, user_id: str, password: str) -> None:
        """Give the user a new password (and clear any lockout)."""
        salt = secrets.token_bytes(16)
        hashed = hash_password(password, salt, PASSWORD_ITERATIONS)
        with self._write() as conn:
            conn.execute(
                "UPDATE _credentials SET password_hash = ?, salt = ?, iterations = ?,"
                " failed_attempts = 0, locked_until = NULL WHERE user_id = ?",
                (hashed, salt, PASSWORD_ITERATIONS, user_id),
            )

    def security_token(self, user_id: str) -> str | None:
        """The user's current security token, or None for an unknown user."""
        rows = self._read(
            "SELECT security_token FROM _credentials WHERE user_id = ?", (user_id,)
        )
        return str(rows[0][0]) if rows else None

    def reset_security_token(self, user_id: str) -> str:
        """Give the user a new random security token and return it."""
        token = random_text(24)
        with self._write() as conn:
            conn.execute(
                "UPDATE _credentials SET security_token = ? WHERE user_id = ?",
                (token, user_id),
            )
        return token

    def set_user_active(self, user_id: str, active: bool) -> None:
        """Activate or deactivate a user (``User.IsActive``)."""
        if "IsActive" in self._user_columns:
            with self._write() as conn:
                conn.execute(
                    'UPDATE "User" SET "IsActive" = ? WHERE "Id" = ?',
                    (int(active), user_id),
                )

    def unlock_user(self, user_id: str) -> None:
        """Lift a lockout, as an administrator's "Unlock" button does."""
        with self._write() as conn:
            conn.execute(
                "UPDATE _credentials SET failed_attempts = 0, locked_until = NULL"
                " WHERE user_id = ?",
                (user_id,),
            )

    def authenticate(
        self, username: str, password: str, *, with_security_token: bool
    ) -> User:
        """Check a username and password; return the user or raise ``LoginError``.

        With ``with_security_token`` the password must end with the user's
        security token, as for API logins. Wrong passwords count towards the
        lockout; a locked user is refused without checking the password.
        """
        rows = self._read(
            "SELECT user_id, password_hash, salt, iterations, security_token,"
            " locked_until FROM _credentials WHERE username = ?",
            (username,),
        )
        if not rows or rows[0][1] is None:
            # Spend the same time as a real check, so timing does not tell
            # which usernames exist.
            hash_password(password, b"0" * 16, PASSWORD_ITERATIONS)
            raise LoginError("invalid")
        user_id, stored, salt, iterations, token, locked_until = rows[0]
        if locked_until and locked_until > self.now():
            raise LoginError("locked")
        outcome = self._check_password(
            password, bytes(stored), bytes(salt), iterations, token, with_security_token
        )
        if outcome != "ok":
            self._count_failure(user_id)
            raise LoginError(outcome)
        user = self.get_user(user_id)
        assert user is not None
        if not user.is_active:
            raise LoginError("inactive")
        self._record_login(user_id)
        return user

    @staticmethod
    def _check_password(
        given: str,
        stored: bytes,
        salt: bytes,
        iterations: int,
        token: str,
        with_security_token: bool,
    ) -> str:
        def matches(candidate: str) -> bool:
            hashed = hash_password(candidate, salt, iterations)
            return hmac.compare_digest(hashed, stored)

        if not with_security_token:
            return "ok" if matches(given) else "invalid"
        if given.endswith(token) and matches(given[: len(given) - len(token)]):
            return "ok"
        return "token" if matches(given) else "invalid"

    def _count_failure(self, user_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE _credentials SET failed_attempts = failed_attempts + 1"
                " WHERE user_id = ?",
                (user_id,),
            )
            conn.execute(
                "UPDATE _credentials SET locked_until = ?, failed_attempts = 0"
                " WHERE user_id = ? AND failed_attempts >= ?",
                (self.now() + LOCKOUT_SECONDS, user_id, MAX_FAILED_LOGINS),
            )

    def _record_login(self, user_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE _credentials SET failed_attempts = 0, locked_until = NULL"
                " WHERE user_id = ?",
                (user_id,),
            )
            if "LastLoginDate" in self._user_columns:
                conn.execute(
                    'UPDATE "User" SET "LastLoginDate" = ? WHERE "Id" = ?',
                    (stored_datetime(self.now()), user_id),
                )
