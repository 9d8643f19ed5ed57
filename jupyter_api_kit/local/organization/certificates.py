"""Certificates of the local organization: PEM uploads parsed with `cryptography`, activation per
organization and per project, and the audit events of each change.

Example:
    >>> parse_pem("not a certificate")
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid 'certificate': no PEM certificate found; expected a block starting with '-----BEGIN CERTIFICATE-----'.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.errors import BadRequest, found
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.organization import audit
from jupyter_api_kit.local.organization.store import MAX_NAME, get_project, page_where

ORG = ""  # the activation scope of the organization itself; a project's scope is its id
PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)
MAX_PEM = 64 * 1024


@dataclass(frozen=True)
class ParsedCertificate:
    """What `parse_pem` keeps of a checked certificate: the PEM block, its validity window (Unix
    seconds) and its SHA-256 fingerprint (hex), which tells duplicate uploads apart.

    Example:
        >>> cert = parse_pem(pem)      # pem: the text of a certificate
        >>> cert.expires_at > cert.valid_at, len(cert.fingerprint)
        (True, 64)
    """

    pem: str
    valid_at: int
    expires_at: int
    fingerprint: str


def parse_pem(text: str, now: float | None = None) -> ParsedCertificate:
    """One X.509 certificate in PEM form, checked: parseable, a single certificate, not a private
    key, not expired. Each problem is a 400 naming `certificate`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    def bad(why: str):
        return BadRequest(f"Invalid 'certificate': {why}", param="certificate")

    if len(text) > MAX_PEM:
        raise bad(f"{len(text)} characters; a PEM certificate is at most {MAX_PEM}.")
    if "PRIVATE KEY-----" in text:
        raise bad("this is (or contains) a private key; upload only the certificate and keep the key secret.")
    blocks = PEM_BLOCK.findall(text)
    if not blocks:
        raise bad("no PEM certificate found; expected a block starting with '-----BEGIN CERTIFICATE-----'.")
    if len(blocks) > 1:
        raise bad(f"{len(blocks)} certificates found; upload one certificate at a time.")
    try:
        cert = x509.load_pem_x509_certificate(blocks[0].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise bad(f"the PEM block is not a valid X.509 certificate ({str(exc)[:120]}).") from None
    valid_at = int(cert.not_valid_before_utc.timestamp())
    expires_at = int(cert.not_valid_after_utc.timestamp())
    if expires_at <= (time.time() if now is None else now):
        raise bad(f"the certificate expired at {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC.")
    return ParsedCertificate(blocks[0] + "\n", valid_at, expires_at, cert.fingerprint(hashes.SHA256()).hex())


def certificate_object(row, *, obj: str = "certificate", active: bool | None = None, content: bool = False) -> dict:
    """The API's certificate object for a `certificates` row; `obj` names the variant
    (`organization.certificate`, `organization.project.certificate`), `active` is added when known and
    `content` adds the PEM text.

    Example:
        >>> row = {"id": "cert_1", "name": "CA", "created_at": 1700000000, "valid_at": 1690000000,
        ...        "expires_at": 1800000000, "content": "-----BEGIN CERTIFICATE-----..."}
        >>> obj = certificate_object(row, obj="organization.certificate", active=True)
        >>> obj["object"], obj["active"], obj["certificate_details"]
        ('organization.certificate', True, {'valid_at': 1690000000, 'expires_at': 1800000000})
    """
    details = {"valid_at": row["valid_at"], "expires_at": row["expires_at"]}
    if content:
        details["content"] = row["content"]
    out = {"object": obj, "id": row["id"], "name": row["name"], "created_at": row["created_at"],
           "certificate_details": details}
    if active is not None:
        out["active"] = active
    return out


def get_certificate(store, certificate_id: str):
    """The `certificates` row of `certificate_id`, or a 404 naming `certificate_id`.

    Example:
        >>> get_certificate(store, "cert_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No certificate found with id 'cert_missing'.
    """
    row = found(store.one("SELECT * FROM certificates WHERE id = ?", (certificate_id,)),
                f"No certificate found with id '{certificate_id}'.", "certificate_id")
    return row


def is_active(store, certificate_id: str, scope: str = ORG) -> bool:
    """Whether a certificate is active for `scope`: the organization (`ORG`) or a project id.

    Example:
        >>> is_active(store, "cert_1"), is_active(store, "cert_1", "proj_1")
        (False, False)
    """
    return store.one("SELECT 1 FROM certificate_activations WHERE certificate_id = ? AND scope = ?",
                     (certificate_id, scope)) is not None


def upload(store, principal: Principal, body: dict) -> dict:
    """`POST /organization/certificates`: parse and check the PEM `certificate` (see `parse_pem`),
    refuse one already uploaded, store it inactive and write a `certificate.created` audit event.

    Example:
        >>> upload(store, admin_principal(), {"certificate": "-----BEGIN PRIVATE KEY-----\\n..."})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'certificate': this is (or contains) a private key; ...
        >>> upload(store, admin_principal(), {"certificate": pem, "name": "CA"})["active"]
        False
    """
    text, name = body["certificate"], body.get("name")
    parsed = parse_pem(text)
    same = store.one("SELECT id FROM certificates WHERE fingerprint = ?", (parsed.fingerprint,))
    if same is not None:
        raise BadRequest(f"Invalid 'certificate': this certificate is already uploaded as '{same['id']}'.",
                         param="certificate")
    cert_id = new_id("cert_")
    with store.tx() as db:
        db.execute("INSERT INTO certificates (id, name, created_at, valid_at, expires_at, fingerprint, content) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", (cert_id, name, int(time.time()), parsed.valid_at,
                                                    parsed.expires_at, parsed.fingerprint, parsed.pem))
        audit.record(db, "certificate.created", principal, resource_id=cert_id,
                     details={"id": cert_id, "name": name or ""})
    return certificate_object(get_certificate(store, cert_id), active=False)


def list_certificates(store, cursor: Cursor, scope: str = ORG) -> dict:
    """Uploaded certificates, newest first by default, each `active` for `scope`."""
    obj = "organization.certificate" if scope == ORG else "organization.project.certificate"
    # The sub-select's one parameter comes first in the SQL text, so `params` binds it in both of
    # page_where's queries.
    table = ("(SELECT c.*, EXISTS (SELECT 1 FROM certificate_activations a WHERE a.certificate_id = c.id "
             "AND a.scope = ?) AS active FROM certificates c)")
    return page_where(store, table, cursor, lambda r: certificate_object(r, obj=obj, active=bool(r["active"])),
                      where="1", params=(scope,))


def retrieve(store, certificate_id: str, content: bool = False) -> dict:
    """`GET /organization/certificates/{id}`: the certificate with its organization-wide `active`
    flag, and its PEM text with `content`.

    Example:
        >>> retrieve(store, "cert_1")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No certificate found with id 'cert_1'.
    """
    row = get_certificate(store, certificate_id)
    return certificate_object(row, active=is_active(store, certificate_id), content=content)


def modify(store, principal: Principal, certificate_id: str, body: dict) -> dict:
    """`POST /organization/certificates/{id}`: rename a certificate (`name` is the only field
    allowed), with a `certificate.updated` audit event.

    Example:
        >>> modify(store, admin_principal(), "cert_missing", {"name": "CA"})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No certificate found with id 'cert_missing'.
        >>> cert = upload(store, admin_principal(), {"certificate": pem, "name": "CA"})
        >>> modify(store, admin_principal(), cert["id"], {"name": "Root CA"})["name"]
        'Root CA'
    """
    get_certificate(store, certificate_id)
    name = body["name"]
    with store.tx() as db:
        db.execute("UPDATE certificates SET name = ? WHERE id = ?", (name, certificate_id))
        audit.record(db, "certificate.updated", principal, resource_id=certificate_id,
                     details={"id": certificate_id, "name": name})
    return certificate_object(get_certificate(store, certificate_id), active=is_active(store, certificate_id))


def delete(store, principal: Principal, certificate_id: str) -> dict:
    """`DELETE /organization/certificates/{id}`: delete a certificate that is active nowhere (else a
    400 saying where it is active); the audit event keeps its PEM text.

    Example:
        >>> delete(store, admin_principal(), "cert_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No certificate found with id 'cert_missing'.
        >>> cert = upload(store, admin_principal(), {"certificate": pem, "name": "CA"})
        >>> delete(store, admin_principal(), cert["id"])
        {'object': 'certificate.deleted', 'id': 'cert_...'}
    """
    row = get_certificate(store, certificate_id)
    scopes = [r["scope"] for r in store.all("SELECT scope FROM certificate_activations WHERE certificate_id = ?",
                                             (certificate_id,))]
    if scopes:
        where = "the organization" if ORG in scopes else f"project '{scopes[0]}'"
        raise BadRequest(f"Certificate '{certificate_id}' is active for {where}; deactivate it everywhere before "
                         "deleting it.", param="certificate_id")
    with store.tx() as db:
        db.execute("DELETE FROM certificates WHERE id = ?", (certificate_id,))
        audit.record(db, "certificate.deleted", principal, resource_id=certificate_id,
                     details={"id": certificate_id, "name": row["name"] or "", "certificate": row["content"]})
    return {"object": "certificate.deleted", "id": certificate_id}


def toggle(store, principal: Principal, body: dict, *, activate: bool, project_id: str | None = None) -> dict:
    """Activate or deactivate certificates for the organization or for one project."""
    project = get_project(store, project_id) if project_id else None
    ids = body["certificate_ids"]
    rows = [get_certificate(store, i) for i in dict.fromkeys(ids)]
    scope = project_id or ORG
    now = int(time.time())
    with store.tx() as db:
        for row in rows:
            if activate:
                db.execute("INSERT OR IGNORE INTO certificate_activations (certificate_id, scope, activated_at) "
                           "VALUES (?, ?, ?)", (row["id"], scope, now))
            else:
                db.execute("DELETE FROM certificate_activations WHERE certificate_id = ? AND scope = ?",
                           (row["id"], scope))
        event = "certificates.activated" if activate else "certificates.deactivated"
        audit.record(db, event, principal, project=(project["id"], project["name"]) if project else None,
                     resource_id=rows[0]["id"],
                     details={"certificates": [{"id": r["id"], "name": r["name"] or ""} for r in rows]})
    kind = "organization.project.certificate" if project_id else "organization.certificate"
    return {"object": f"{kind}.{'activation' if activate else 'deactivation'}",
            "data": [certificate_object(r, obj=kind, active=activate) for r in rows]}
