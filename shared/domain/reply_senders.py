"""Whether a mail may speak for the attendee its calendar REPLY names.

Anyone can send a REPLY naming any ATTENDEE: the UID of a session is in every member's calendar.
A REPLY by mail therefore counts only when the mail comes from that attendee:

- its From header names exactly one address, the attendee's (compared case-insensitively), and
  reads without doubt (``victim@school.nl <attacker@evil.example>`` is one address to Python's
  parser and another to the MTA's DMARC check, so a From with an invalid-syntax defect counts
  for nobody);
- its envelope sender (SMTP ``MAIL FROM``) is that address too;
- behind a receiving MTA that checks DKIM and DMARC (``INTERVISIE_INBOUND_AUTHSERV_ID`` names
  it), that MTA's RFC 8601 ``Authentication-Results`` say ``dmarc=pass`` for the attendee's own
  domain (its ``header.from``), or ``dkim=pass`` for a
  signing domain aligned with the From address (the same domain, or one a subdomain of the
  other: relaxed alignment without the public-suffix list, which a signature for a public
  suffix such as ``nl`` cannot abuse, since nobody but the registry publishes keys there).
  Such headers of any other authserv-id are ignored: anyone can write them. The MTA must remove
  incoming headers that claim its own id (RFC 8601 section 5), as Postfix with OpenDMARC, rspamd
  and Exim do.

Without a receiving MTA the first two checks are all there is, and they stop a stranger's mail
and a colleague's, not a forger who writes the attendee's address in both places; docs/people.md says
so. The parsing of the headers is authres's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import authres

FROM, ENVELOPE, UNAUTHENTICATED = "from", "envelope", "unauthenticated"
"""Why a mail was refused, as counted in the metrics."""


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    """:data:`FROM`, :data:`ENVELOPE` or :data:`UNAUTHENTICATED`."""
    reason: str


@dataclass(frozen=True, slots=True)
class Sender:
    """What a received mail says of where it comes from."""

    envelope: str
    """The SMTP ``MAIL FROM`` address (empty for a bounce)."""
    from_addresses: Sequence[str]
    """The addresses in the From header."""
    authentication_results: Sequence[str] = ()
    """The values of its ``Authentication-Results`` headers, top first."""
    from_doubtful: bool = False
    """Whether the From header has a syntax defect (not merely obsolete syntax)."""


def refusal(sender: Sender, attendee: str, *, authserv_id: str | None) -> Refusal | None:
    """Why ``sender``'s mail may not answer for ``attendee``; None when it may."""
    attendee = attendee.strip().lower()
    addresses = [address.strip().lower() for address in sender.from_addresses]
    if sender.from_doubtful:
        return Refusal(FROM, "the From header is malformed: whose address it holds is in doubt")
    if len(addresses) != 1:
        return Refusal(FROM, f"the From header names {len(addresses)} addresses, not the attendee's alone")
    if addresses[0] != attendee:
        return Refusal(FROM, "the From address is not the attendee the REPLY answers for")
    if sender.envelope.strip().lower() != attendee:
        return Refusal(ENVELOPE, "the envelope sender is not the attendee the REPLY answers for")
    if authserv_id is None:
        return None
    domain = attendee.rpartition("@")[2]
    verdicts = [result for value in sender.authentication_results for result in _results_of(value, authserv_id)]
    if not verdicts:
        return Refusal(UNAUTHENTICATED, f"no Authentication-Results of {authserv_id}")
    for method, result, checked in verdicts:
        if result != "pass" or not checked:
            continue
        if (method == "dmarc" and checked.strip(".") == domain) or (method == "dkim" and aligned(checked, domain)):
            return None
    return Refusal(UNAUTHENTICATED, f"{authserv_id} found neither dmarc=pass nor an aligned dkim=pass")


def _results_of(value: str, authserv_id: str) -> list[tuple[str, str, str | None]]:
    """``(method, result, domain)`` of one header, if ``authserv_id`` wrote it: the domain DKIM
    signed for (``header.d``), or the From domain that DMARC checked (``header.from``)."""
    try:
        header = authres.AuthenticationResultsHeader.parse_value(value)
    except Exception:  # noqa: BLE001 - authres raises its own SyntaxError and others on garbage
        return []
    if (header.authserv_id or "").lower() != authserv_id.lower():
        return []
    found = []
    for result in header.results:
        method = str(result.method).lower()
        name = "from" if method == "dmarc" else "d"
        checked = next((p.value for p in result.properties if p.type == "header" and p.name == name), None)
        found.append((method, str(result.result).lower(), str(checked).lower() if checked else None))
    return found


def aligned(signer: str, domain: str) -> bool:
    """Whether a DKIM signing domain is aligned with the From domain: the same, or one a
    subdomain of the other (``school.nl`` signs for ``mail.school.nl`` and the other way round)."""
    signer, domain = signer.strip(".").lower(), domain.strip(".").lower()
    return bool(signer) and (domain == signer or domain.endswith("." + signer) or signer.endswith("." + domain))
