"""/auth: signup, login, refresh-token, logout (public: they issue or end credentials)."""

from __future__ import annotations

from control_plane import keys
from control_plane.endpoint import ApiRequest
from control_plane.schemas.auth import LoginRequest, RefreshRequest, SignupRequest, TokenResponse
from control_plane.services import sessions


async def signup(req: ApiRequest) -> TokenResponse:
    cp = req.app_get(keys.SETTINGS).control_plane
    async with req.app_get(keys.DATABASE).transaction() as session:
        return await sessions.signup(
            session, req.app_get(keys.PASSWORDS), cp, req.body_as(SignupRequest)
        )


async def login(req: ApiRequest) -> TokenResponse:
    cp = req.app_get(keys.SETTINGS).control_plane
    async with req.app_get(keys.DATABASE).transaction() as session:
        return await sessions.login(
            session, req.app_get(keys.PASSWORDS), cp, req.body_as(LoginRequest)
        )


async def refresh_token(req: ApiRequest) -> TokenResponse:
    cp = req.app_get(keys.SETTINGS).control_plane
    async with req.app_get(keys.DATABASE).transaction() as session:
        outcome = await sessions.refresh(session, cp, req.body_as(RefreshRequest).refresh_token)
    # Raised after commit: a detected reuse must keep its family revocation.
    if not isinstance(outcome, TokenResponse):
        raise outcome
    return outcome


async def logout(req: ApiRequest) -> None:
    async with req.app_get(keys.DATABASE).transaction() as session:
        await sessions.logout(session, req.body_as(RefreshRequest).refresh_token)
