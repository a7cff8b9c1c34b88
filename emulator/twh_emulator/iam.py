"""IAM: moto answers every call; this module rewrites trust policies the way
IAM stores them, which moto does not.

- An account principal given as its 12-digit id is stored as the account's
  root ARN. IAM User Guide, "AWS JSON policy elements: Principal", AWS
  account principals: either form may be written and "The account ARN and
  the shortened account ID behave the same way"; the awscli create-role
  examples (awscli/examples/iam/create-role.rst) print trust principals as
  ``arn:aws:iam::123456789012:root``; hashicorp/awspolicyequivalence
  aws_policy_equivalence.go: "Handle AWS converting account ID principal to
  root IAM user ARN".
- A role principal is kept by the role's unique id: while the role exists
  its ARN is shown; once it is deleted the trust policies naming it show
  the bare id (``AROA...``), and a new role of the same name does not take
  its place. IAM User Guide, same page, IAM role principals; AWS re:Post
  knowledge center "Why is there an unknown principal format in my IAM
  resource-based policy?": "The unique principal ID in a resource-based
  policy indicates that the IAM user or role was deleted. The principal ID
  appears because AWS can't map it back to a valid ARN."

Both only in the faithful mode (not with TWH_EMULATOR_VERBATIM=1).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .common import Context, faithful

ACCOUNT_ID = re.compile(r"^\d{12}$")

# Operations whose request carries a trust policy, and its parameter.
_TRUST_PARAM = {"CreateRole": "AssumeRolePolicyDocument", "UpdateAssumeRolePolicy": "PolicyDocument"}

# moto answers every IAM operation.
HANDLERS: dict[str, Any] = {}


def _map_aws_principals(doc: Any, fn) -> Any:
    """``doc`` with ``fn`` applied to every ``Principal.AWS`` string."""
    if not isinstance(doc, dict):
        return doc
    statements = doc.get("Statement")
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal") if isinstance(st, dict) else None
        if not isinstance(principal, dict) or "AWS" not in principal:
            continue
        aws = principal["AWS"]
        principal["AWS"] = [fn(a) for a in aws] if isinstance(aws, list) else fn(aws)
    return doc


def _root_arn(principal: Any) -> Any:
    if isinstance(principal, str) and ACCOUNT_ID.match(principal):
        return f"arn:aws:iam::{principal}:root"
    return principal


def prepare(operation: str, body: bytes) -> bytes:
    """Account-id principals of a trust policy sent to CreateRole or
    UpdateAssumeRolePolicy become root ARNs before moto stores them."""
    param = _TRUST_PARAM.get(operation)
    if not faithful() or param is None or not body:
        return body
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    changed = False
    out = []
    for key, value in pairs:
        if key == param:
            try:
                doc = json.loads(value)
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                rewritten = json.dumps(_map_aws_principals(doc, _root_arn))
                changed = changed or rewritten != value
                value = rewritten
        out.append((key, value))
    return urlencode(out).encode() if changed else body


def _backend(account: str):
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def role_to_delete(ctx: Context) -> tuple[str, str] | None:
    """Before DeleteRole: the (ARN, unique id) of the role it names."""
    if not faithful():
        return None
    names = [v for k, v in parse_qsl(ctx.body.decode("utf-8", "replace")) if k == "RoleName"]
    if not names:
        return None
    for role in _backend(ctx.account).get_roles():
        if role.name == names[0]:
            return role.arn, role.id
    return None


def role_deleted(account: str, arn: str, role_id: str) -> None:
    """After DeleteRole: every trust policy naming the deleted role by its
    ARN names it by its unique id from now on."""
    for role in _backend(account).get_roles():
        try:
            doc = json.loads(role.assume_role_policy_document)
        except (TypeError, ValueError):
            continue
        before = json.dumps(doc)
        rewritten = json.dumps(_map_aws_principals(doc, lambda p: role_id if p == arn else p))
        if rewritten != before:
            role.assume_role_policy_document = rewritten
