"""Writers for what admins configure: an inbox's routing settings and the routing rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal
from kefu.errors import InvalidInput, NotFound
from kefu.inboxes.models import Inbox
from kefu.routing.models import RoutingRule
from kefu.routing.rules import RuleActions, RuleConditions
from kefu.routing.settings import RoutingSettings
from kefu.routing.signals import request_routing_on_commit
from kefu.teams.models import Team


async def _check_teams(session: AsyncSession, team_ids: set[int]) -> None:
    if not team_ids:
        return
    found = set(await session.scalars(select(Team.id).where(Team.id.in_(team_ids))))
    if missing := team_ids - found:
        raise InvalidInput(f"Unknown team {min(missing)}.", code="unknown_team")


async def do_update_inbox_routing(
    session: AsyncSession, *, actor: Principal, inbox: Inbox, settings: RoutingSettings
) -> RoutingSettings:
    require_admin(actor)
    await _check_teams(session, {t.team_id for t in settings.topics if t.team_id is not None})
    keys = [t.key for t in settings.topics]
    if len(keys) != len(set(keys)):
        raise InvalidInput("Two topics have the same key.", code="duplicate_topic")
    inbox.settings = {**(inbox.settings or {}), "routing": settings.model_dump(mode="json")}
    flag_modified(inbox, "settings")
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="inbox.routing_updated",
        target_type="inbox",
        target_id=inbox.id,
    )
    request_routing_on_commit(session, inbox.id)  # auto-assign or capacity may have changed
    return settings


async def do_create_rule(
    session: AsyncSession,
    *,
    actor: Principal,
    name: str,
    conditions: RuleConditions,
    actions: RuleActions,
    enabled: bool = True,
) -> RoutingRule:
    require_admin(actor)
    await _check_teams(session, {actions.team_id} if actions.team_id else set())
    last = await session.scalar(select(func.max(RoutingRule.position)))
    rule = RoutingRule(
        name=name.strip(),
        position=(last or 0) + 1,
        enabled=enabled,
        conditions=conditions.model_dump(mode="json"),
        actions=actions.model_dump(mode="json"),
    )
    session.add(rule)
    await session.flush()
    _audit(session, actor, "routing_rule.created", rule)
    return rule


async def get_rule(session: AsyncSession, rule_id: int) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("Routing rule not found.")
    return rule


async def do_update_rule(
    session: AsyncSession,
    *,
    actor: Principal,
    rule: RoutingRule,
    name: str | None = None,
    conditions: RuleConditions | None = None,
    actions: RuleActions | None = None,
    enabled: bool | None = None,
) -> RoutingRule:
    require_admin(actor)
    if name is not None:
        rule.name = name.strip()
    if conditions is not None:
        rule.conditions = conditions.model_dump(mode="json")
    if actions is not None:
        await _check_teams(session, {actions.team_id} if actions.team_id else set())
        rule.actions = actions.model_dump(mode="json")
    if enabled is not None:
        rule.enabled = enabled
    _audit(session, actor, "routing_rule.updated", rule)
    return rule


async def do_delete_rule(session: AsyncSession, *, actor: Principal, rule: RoutingRule) -> None:
    require_admin(actor)
    _audit(session, actor, "routing_rule.deleted", rule)
    await session.delete(rule)


async def do_reorder_rules(
    session: AsyncSession, *, actor: Principal, rule_ids: list[int]
) -> list[RoutingRule]:
    """Rules are evaluated in this order; the list must name every rule once."""
    require_admin(actor)
    rules = {r.id: r for r in await session.scalars(select(RoutingRule))}
    if sorted(rule_ids) != sorted(rules):
        raise InvalidInput("Name every rule exactly once.", code="bad_rule_order")
    for position, rule_id in enumerate(rule_ids, start=1):
        rules[rule_id].position = position
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="routing_rule.reordered",
        target_type="routing_rule",
        target_id=None,
        order=rule_ids,
    )
    return [rules[i] for i in rule_ids]


def _audit(session: AsyncSession, actor: Principal, action: str, rule: RoutingRule) -> None:
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action=action,
        target_type="routing_rule",
        target_id=rule.id,
        name=rule.name,
    )
