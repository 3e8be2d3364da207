"""A minimal S3 endpoint that only counts bytes, to time the handler's side of an upload.

    python benchmarks/_s3_sink.py PORT

moto (the tests' S3) parses every part in Python and dominates an upload's time on
loopback; this sink answers the few calls ``upload_file`` makes (create, put part,
complete, put object) and drops the data, so what remains is the uploader's own cost.
Not an S3 implementation: no storage, no auth checks, no GET.
"""

from __future__ import annotations

import sys
import uuid

from aiohttp import web

XML = "application/xml"


async def drain(request: web.Request) -> int:
    size = 0
    async for chunk in request.content.iter_chunked(1 << 20):
        size += len(chunk)
    return size


async def post(request: web.Request) -> web.Response:
    bucket, key = request.match_info["bucket"], request.match_info["key"]
    if "uploads" in request.query:  # CreateMultipartUpload
        body = (f"<InitiateMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key>"
                f"<UploadId>{uuid.uuid4().hex}</UploadId></InitiateMultipartUploadResult>")
        return web.Response(text=body, content_type=XML)
    await drain(request)  # CompleteMultipartUpload
    body = (f"<CompleteMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key>"
            '<ETag>"done"</ETag></CompleteMultipartUploadResult>')
    return web.Response(text=body, content_type=XML)


async def put(request: web.Request) -> web.Response:
    size = await drain(request)  # UploadPart or PutObject
    return web.Response(headers={"ETag": f'"{size:x}"'})


def main() -> None:
    app = web.Application(client_max_size=1 << 30)
    app.router.add_post("/{bucket}/{key:.+}", post)
    app.router.add_put("/{bucket}/{key:.+}", put)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
