"""How a stored file goes back to a browser.

Raster images (PNG, JPEG, GIF, WebP) are served inline with their real type, so that <img>
shows them and a click opens them full size. Everything else, and images asked for with
`?download=1`, is served as an attachment (RFC 6266 filename* for UTF-8 names). Always: the
sniffed type (never the declared one), `nosniff`, and a CSP that lets nothing run even if a
browser were to render the bytes as a document.
"""

from __future__ import annotations

from starlette.responses import StreamingResponse

from kefu.attachments.catalogue import SUPPORTED
from kefu.attachments.names import content_disposition
from kefu.errors import NotFound
from kefu.messages.models import Attachment
from kefu.storage import Storage, StorageError

FILE_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


async def file_response(
    attachment: Attachment, storage: Storage, *, download: bool, cross_origin: bool
) -> StreamingResponse:
    try:
        chunks = await storage.open(attachment.storage_key)
    except StorageError as exc:
        raise NotFound("File not found.") from exc
    known = SUPPORTED.get(attachment.content_type)
    inline = known is not None and known.previewable and not download
    headers = {
        "content-disposition": content_disposition(
            "inline" if inline else "attachment", attachment.file_name
        ),
        "content-length": str(attachment.size),
        "x-content-type-options": "nosniff",
        "content-security-policy": FILE_CSP,
        # Files never change under an id; access may, so browsers keep them only a while.
        "cache-control": "private, max-age=3600",
        "etag": f'"{attachment.sha256}"',
        # The customer's signed links are loaded by the widget on the customer's site.
        "cross-origin-resource-policy": "cross-origin" if cross_origin else "same-origin",
    }
    media_type = attachment.content_type if known is not None else "application/octet-stream"
    return StreamingResponse(chunks, media_type=media_type, headers=headers)
