"""Where a restaurant's photos live: a folder (default ``instance/media``) or S3.

``OMNIORDER_MEDIA_URI`` chooses: unset → ``<instance>/media``; a path → that folder;
``s3://bucket/prefix`` → S3 through boto3 (``OMNIORDER_MEDIA_S3_ENDPOINT`` for another
endpoint such as moto's in the tests; keys and region from the usual ``AWS_*`` variables).
Every key is ``<tenant schema>/<hash>-<width>.webp`` (under the prefix), so a restaurant's
media are one folder or one prefix, which its erasure and its export walk.

Every S3 call has a deadline: connect and read timeouts and two attempts at most (botocore's
`Config`), so a slow S3 costs a request seconds, never a worker. No caller talks to the store
while a database transaction is open (omniorder/media/photos.py says how).
"""

import functools
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from omniorder.core.errors import DomainError
from omniorder.media.reference import NAME
from omniorder.tenancy.names import validate_schema_name

CONNECT_TIMEOUT = 3.0  # seconds
READ_TIMEOUT = 10.0
ATTEMPTS = 2
CHUNK = 64 * 1024
CONTENT_TYPE = "image/webp"
CACHE_CONTROL = "public, max-age=31536000, immutable"
_EXTENSION = "omniorder.media_store"
log = logging.getLogger(__name__)


class MediaUnavailable(DomainError):
    """The media store (S3) did not answer in time or answered with an error: 503, a page
    that says to try again, never a 500."""

    status_code = 503


def _answering(method):
    """An S3 operation whose failure (timeout, refused connection, an error answer) is
    `MediaUnavailable`."""

    @functools.wraps(method)
    def call(*args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(*args, **kwargs)
        except (BotoCoreError, ClientError) as error:
            log.warning("media store: %s failed: %s", method.__name__, error)
            raise MediaUnavailable(
                _("The photo store did not answer; please try again in a moment.")
            ) from error

    return call


def _checked(schema_name: str, name: str | None = None) -> None:
    """Keys are built from a tenant's schema and a rendition's name only: nothing else can
    reach a path or a key (no ``..``, no slash)."""
    validate_schema_name(schema_name)
    if name is not None and not NAME.fullmatch(name):
        raise ValueError(f"not a media file name: {name!r}")


class LocalStore:
    """A folder: ``<root>/<schema>/<name>``; each file written whole, then renamed."""

    def __init__(self, root: str):
        self.root = Path(root).absolute()

    def _folder(self, schema_name: str) -> Path:
        _checked(schema_name)
        return self.root / schema_name

    def put(self, schema_name: str, files: list[tuple[str, bytes]]) -> None:
        folder = self._folder(schema_name)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            _checked(schema_name, name)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, folder / name)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise

    def open(self, schema_name: str, name: str) -> tuple[Iterator[bytes], int] | None:
        """(chunks, length) of a file, or None when there is none."""
        _checked(schema_name, name)
        try:
            handle = open(self._folder(schema_name) / name, "rb")  # noqa: SIM115 (streamed)
        except FileNotFoundError:
            return None
        length = os.fstat(handle.fileno()).st_size

        def chunks():
            with handle:
                while block := handle.read(CHUNK):
                    yield block

        return chunks(), length

    def delete(self, schema_name: str, names: Iterable[str]) -> None:
        for name in names:
            _checked(schema_name, name)
            (self._folder(schema_name) / name).unlink(missing_ok=True)

    def delete_tenant(self, schema_name: str) -> None:
        folder = self._folder(schema_name)
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
        folder.rmdir()

    def names(self, schema_name: str) -> list[str]:
        folder = self._folder(schema_name)
        if not folder.is_dir():
            return []
        return sorted(path.name for path in folder.iterdir() if NAME.fullmatch(path.name))

    def read(self, schema_name: str, name: str) -> bytes:
        _checked(schema_name, name)
        return (self._folder(schema_name) / name).read_bytes()


class S3Store:
    """A bucket and prefix: ``s3://bucket/prefix/<schema>/<name>``."""

    def __init__(self, uri: str, endpoint: str | None):
        import boto3  # only a deployment on S3 loads boto3
        from botocore.config import Config

        bucket, _, prefix = uri[len("s3://") :].partition("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            config=Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": ATTEMPTS, "mode": "standard"},
            ),
        )

    def _key(self, schema_name: str, name: str = "") -> str:
        _checked(schema_name, name or None)
        return "/".join(part for part in (self.prefix, schema_name, name) if part) + (
            "" if name else "/"
        )

    @_answering
    def put(self, schema_name: str, files: list[tuple[str, bytes]]) -> None:
        for name, data in files:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(schema_name, name),
                Body=data,
                ContentType=CONTENT_TYPE,
                CacheControl=CACHE_CONTROL,
            )

    @_answering
    def open(self, schema_name: str, name: str) -> tuple[Iterator[bytes], int] | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(schema_name, name))
        except self.client.exceptions.NoSuchKey:
            return None
        body = answer["Body"]

        def chunks():
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return chunks(), answer["ContentLength"]

    @_answering
    def delete(self, schema_name: str, names: Iterable[str]) -> None:
        self._delete_keys([self._key(schema_name, name) for name in names])

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # S3 deletes at most 1000 keys a call
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def _keys(self, schema_name: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(schema_name)
        )
        return [entry["Key"] for page in pages for entry in page.get("Contents", [])]

    @_answering
    def delete_tenant(self, schema_name: str) -> None:
        self._delete_keys(self._keys(schema_name))  # everything under it, stray keys too

    @_answering
    def names(self, schema_name: str) -> list[str]:
        found = (key.rsplit("/", 1)[-1] for key in self._keys(schema_name))
        return sorted(name for name in found if NAME.fullmatch(name))

    @_answering
    def read(self, schema_name: str, name: str) -> bytes:
        answer = self.client.get_object(Bucket=self.bucket, Key=self._key(schema_name, name))
        with answer["Body"] as body:
            return body.read()


def store_for(uri: str, endpoint: str | None = None) -> LocalStore | S3Store:
    if uri.startswith("s3://"):
        return S3Store(uri, endpoint)
    return LocalStore(uri)


def media_store() -> LocalStore | S3Store:
    """The app's media store (made once per app: a boto3 client is safe to share)."""
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        config = current_app.config
        uri = config.get("OMNIORDER_MEDIA_URI") or os.path.join(current_app.instance_path, "media")
        endpoint = config.get("OMNIORDER_MEDIA_S3_ENDPOINT") or os.environ.get(
            "OMNIORDER_MEDIA_S3_ENDPOINT"
        )
        store = current_app.extensions[_EXTENSION] = store_for(uri, endpoint)
    return store
