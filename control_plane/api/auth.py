"""/auth: signup, login, refresh-token, logout, password change, invitations and resets.

All but change-password are public: they issue or end credentials. Every password a caller
types goes through the failed-login limits (``services.logins``).
"""

from __future__ import annotations

from control_plane import app_keys
from control_plane.auth.peer import client_address
from control_plane.endpoint import ApiRequest
from control_plane.errors import ForbiddenError
from control_plane.schemas.auth import (
    Accepted,
    AcceptInviteRequest,
    ChangePasswordRequest,
    LoginRequest,
    PasswordResetRequest,
    RefreshRequest,
    ResetPasswordRequest,
    SignupRequest,
    TokenResponse,
)
from control_plane.services import credentials, logins, password_reset, sessions


async def signup(req: ApiRequest) -> Accepted:
    cp = req.app_get(app_keys.SETTINGS).control_plane
    if not cp.auth.open_signup:
        raise ForbiddenError(
            "signup is closed on this deployment; ask an org admin for an invitation",
            code="signup_disabled",
        )
    async with req.app_get(app_keys.DATABASE).transaction() as session:
        await sessions.signup(
            session, req.app_get(app_keys.PASSWORDS), cp, req.body_as(SignupRequest)
        )
    return Accepted(message=sessions.SIGNUP_ANSWER)


async def login(req: ApiRequest) -> TokenResponse:
    cp = req.app_get(app_keys.SETTINGS).control_plane
    body = req.body_as(LoginRequest)
    database = req.app_get(app_keys.DATABASE)

    async def attempt() -> TokenResponse:
        async with database.transaction() as session:
            return await sessions.login(session, req.app_get(app_keys.PASSWORDS), cp, body)

    return await logins.guarded(
        req.app_get(app_keys.LOGIN_THROTTLE),
        database,
        cp.auth,
        email=body.email,
        address=client_address(req.request, cp.auth.forwarded_for_hops),
        attempt=attempt,
    )


async def change_password(req: ApiRequest) -> TokenResponse:
    cp = req.app_get(app_keys.SETTINGS).control_plane
    body = req.body_as(ChangePasswordRequest)
    principal = req.principal

    async def attempt() -> TokenResponse:
        async with req.transaction() as session:
            tokens = await credentials.change_password(
                session,
                req.app_get(app_keys.PASSWORDS),
                cp,
                principal,
                body.current_password,
                body.new_password,
            )
            await req.audit(session, "user.password_change", "user", principal.user_id)
            return tokens

    return await logins.guarded(
        req.app_get(app_keys.LOGIN_THROTTLE),
        req.app_get(app_keys.DATABASE),
        cp.auth,
        email=principal.email or "",
        address=client_address(req.request, cp.auth.forwarded_for_hops),
        attempt=attempt,
    )


async def refresh_token(req: ApiRequest) -> TokenResponse:
    cp = req.app_get(app_keys.SETTINGS).control_plane
    async with req.app_get(app_keys.DATABASE).transaction() as session:
        outcome = await sessions.refresh(session, cp, req.body_as(RefreshRequest).refresh_token)
    # Raised after commit: a detected reuse must keep its family revocation.
    if not isinstance(outcome, TokenResponse):
        raise outcome
    return outcome


async def logout(req: ApiRequest) -> None:
    async with req.app_get(app_keys.DATABASE).transaction() as session:
        await sessions.logout(session, req.body_as(RefreshRequest).refresh_token)


async def accept_invite(req: ApiRequest) -> TokenResponse:
    body = req.body_as(AcceptInviteRequest)
    return await _redeem(req, body.token, ("invite",), body.password)


async def reset_password(req: ApiRequest) -> TokenResponse:
    body = req.body_as(ResetPasswordRequest)
    return await _redeem(req, body.token, ("reset", "admin_reset"), body.password)


async def request_password_reset(req: ApiRequest) -> Accepted:
    await password_reset.request(
        req.app_get(app_keys.DATABASE),
        req.app_get(app_keys.RATE_LIMITER),
        req.app_get(app_keys.TASKS),
        req.app_get(app_keys.SETTINGS).control_plane,
        req.body_as(PasswordResetRequest).email,
    )
    return Accepted(message=password_reset.ANSWER)


async def _redeem(
    req: ApiRequest, token: str, purposes: tuple[str, ...], password: str
) -> TokenResponse:
    cp = req.app_get(app_keys.SETTINGS).control_plane
    async with req.app_get(app_keys.DATABASE).transaction() as session:
        return await credentials.redeem(
            session, req.app_get(app_keys.PASSWORDS), cp, token, purposes, password
        )
