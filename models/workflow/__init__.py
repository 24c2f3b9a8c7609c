"""The accounting acceptance workflow: one state machine for every syncable record (DESIGN.md
section 3). One module per job:

- ``transitions``: send, retrieve, resend, accept, reject, unlink (the state machine itself);
- ``outbox``: what connectors do with accepted exports (deliver, acknowledge, fail, requeue);
- ``keys``: the ERP key rule accepting and acknowledging both apply;
- ``queue``: the approver's queue over every record type;
- ``digest``: the approver's daily summary and its text.

The names below are the workflow's public surface, so callers write ``workflow.send(...)``.
"""

from models.workflow.digest import Digest, DigestGroup, DigestItem, approval_digest, digest_text, format_wait
from models.workflow.keys import MAX_ORIGIN_ID
from models.workflow.outbox import (
    acknowledge_export,
    delivered_exports,
    fail_export,
    get_export,
    mark_delivered,
    pending_exports,
    requeue_export,
)
from models.workflow.queue import QUEUE_STATUSES, queue_counts, queue_query
from models.workflow.transitions import (
    TRANSITIONS,
    BlockedError,
    PayloadBuilder,
    accept,
    can_do,
    can_send,
    check_transition,
    reject,
    resend,
    retrieve,
    send,
    unlink,
)

__all__ = [
    "MAX_ORIGIN_ID",
    "QUEUE_STATUSES",
    "TRANSITIONS",
    "BlockedError",
    "Digest",
    "DigestGroup",
    "DigestItem",
    "PayloadBuilder",
    "accept",
    "acknowledge_export",
    "approval_digest",
    "can_do",
    "can_send",
    "check_transition",
    "delivered_exports",
    "digest_text",
    "fail_export",
    "format_wait",
    "get_export",
    "mark_delivered",
    "pending_exports",
    "queue_counts",
    "queue_query",
    "reject",
    "requeue_export",
    "resend",
    "retrieve",
    "send",
    "unlink",
]
