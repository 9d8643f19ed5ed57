"""`client.organization.certificates`: upload, list, retrieve, rename, delete, activate, deactivate.

Example:
    >>> certs = client.organization.certificates
    >>> ca = certs.create(certificate=pem, name="CA")          # pem: the text of a PEM certificate
    >>> certs.activate([ca.id]).data[0].active
    True
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.admin import AdminResource
from jupyter_api_kit.client.resource import path_id
from jupyter_api_kit.errors import InvalidInputError

BASE = "organization/certificates"


def _ids(certificate_ids) -> list:
    ids = [certificate_ids] if isinstance(certificate_ids, str) else list(certificate_ids or [])
    if not 1 <= len(ids) <= 10:
        raise InvalidInputError(f"certificate_ids takes 1 to 10 ids, got {len(ids)}", param="certificate_ids")
    return ids


class Certificates(AdminResource):
    """Organization certificates (`/organization/certificates`): upload PEM certificates, rename and
    delete them, and activate or deactivate them for the whole organization (per project, see
    `client.organization.projects.certificates`). Every call uses the admin key. Reached as
    `client.organization.certificates`.

    Example:
        >>> certs = client.organization.certificates
        >>> certs.activate([])      # checked before anything is sent
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: certificate_ids takes 1 to 10 ids, got 0
        >>> ca = certs.create(certificate=pem, name="CA")
        >>> certs.activate(ca.id).data[0].active
        True
    """

    def create(self, *, certificate: str, name: str | None = None) -> APIObject:
        """Upload a PEM certificate (it is not activated; see `activate`).

        Example:
            >>> ca = client.organization.certificates.create(certificate=pem, name="Internal CA")
            >>> ca.active, sorted(ca.certificate_details)
            (False, ['expires_at', 'valid_at'])
        """
        if isinstance(certificate, bytes):
            certificate = certificate.decode("ascii", "replace")
        if not isinstance(certificate, str) or not certificate.strip():
            raise InvalidInputError("certificate must be the PEM text of a certificate", param="certificate")
        return self._post(BASE, {"certificate": certificate, "name": name})

    upload = create

    def list(self, *, limit: int | None = None, after: str | None = None, order: str | None = None):
        """The organization's certificates, as a page that iterates every page.

        Example:
            >>> cert.id in client.organization.certificates.list(limit=20).to_frame()["id"].tolist()
            True
        """
        return self._list(BASE, {"limit": limit, "after": after, "order": order})

    def retrieve(self, certificate_id: str, *, include: list | None = None) -> APIObject:
        """A certificate; `include=["content"]` adds its PEM text."""
        return self._get(f"{BASE}/{path_id(certificate_id, 'certificate_id')}", {"include": include})

    def update(self, certificate_id: str, *, name: str) -> APIObject:
        """Rename a certificate (the name is all that can change)."""
        return self._post(f"{BASE}/{path_id(certificate_id, 'certificate_id')}", {"name": name})

    modify = update

    def delete(self, certificate_id: str) -> APIObject:
        """Delete a certificate that is active nowhere."""
        return self._delete(f"{BASE}/{path_id(certificate_id, 'certificate_id')}")

    def activate(self, certificate_ids) -> APIObject:
        """Activate up to 10 certificates for the organization."""
        return self._post(f"{BASE}/activate", {"certificate_ids": _ids(certificate_ids)})

    def deactivate(self, certificate_ids) -> APIObject:
        """Deactivate up to 10 certificates for the organization (they stay uploaded).

        Example:
            >>> client.organization.certificates.deactivate([cert.id]).data[0].active
            False
        """
        return self._post(f"{BASE}/deactivate", {"certificate_ids": _ids(certificate_ids)})
