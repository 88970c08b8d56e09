"""Run every check that the stack outputs call for and collect a checklist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from destkit.adobe.outputs import StackOutputs
from destkit.verify.checklist import Checklist

AREAS = ("streaming", "s3", "blob", "adls", "gcs", "sftp")


@dataclass
class VerifyOptions:
    """Areas to check and endpoint overrides (for emulators or private endpoints)."""

    only: tuple[str, ...] = ()
    s3_endpoint: str | None = None
    sftp_host: str | None = None
    gcs_endpoint: str | None = None
    adls_endpoint: str | None = None
    entra_authority: str | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def configured_areas(outputs: StackOutputs) -> list[str]:
    """Return the areas the outputs describe, in checking order."""
    present = {
        "streaming": bool(outputs.get("url")),
        "s3": bool(outputs.get("s3_bucket")),
        "blob": bool(outputs.tenant_map("blob_connection_strings")),
        "adls": bool(outputs.tenant_map("adls_urls")),
        "gcs": bool(outputs.get("gcs_bucket")),
        "sftp": bool(outputs.get("sftp_host")),
    }
    return [area for area in AREAS if present[area]]


def verify(outputs: StackOutputs, options: VerifyOptions) -> Checklist:
    checklist = Checklist()
    areas = [area for area in configured_areas(outputs) if not options.only or area in options.only]
    for area in areas:
        if area == "streaming":
            from destkit.verify.streaming import StreamingVerifier

            StreamingVerifier(outputs, checklist, options.run_id).run()
        elif area == "s3":
            from destkit.verify.s3 import verify_s3

            verify_s3(outputs, checklist, options.run_id, options.s3_endpoint, None)
        elif area == "blob":
            from destkit.verify.blob import verify_blob

            verify_blob(outputs, checklist, options.run_id)
        elif area == "sftp":
            from destkit.verify.sftp import verify_sftp

            verify_sftp(outputs, checklist, options.run_id, options.sftp_host)
        elif area == "gcs":
            from destkit.verify.gcs import verify_gcs

            verify_gcs(outputs, checklist, options.run_id, options.gcs_endpoint)
        elif area == "adls":
            from destkit.verify.adls import verify_adls

            verify_adls(outputs, checklist, options.run_id, options.adls_endpoint, options.entra_authority)
    return checklist
