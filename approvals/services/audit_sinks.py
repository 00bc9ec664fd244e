"""Where audit checkpoints are kept, outside the database: a directory and an S3 bucket.

Each checkpoint is a new file or object whose name says its seq and time; none is
ever overwritten. The directory is meant to be a WORM volume or one that is backed
up; the bucket has object lock, so not even the credentials that wrote a checkpoint
can remove it before its retention ends. Reading takes every object version, so a
checkpoint hidden under a newer version or a delete marker still counts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import boto3
from botocore.config import Config
from django.conf import settings

NAME_PATTERN = re.compile(r"^checkpoint-(\d{12})-(\d{8}T\d{12}Z)\.json$")
# A checkpoint is a few hundred bytes; anything much larger is not one.
MAX_CHECKPOINT_BYTES = 64 * 1024


def checkpoint_name(seq: int, at: dt.datetime) -> str:
    """Zero-padded, so names sort by seq; microseconds, so two checkpoints never share one."""
    return f"checkpoint-{seq:012d}-{at.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}.json"


def name_seq(name: str) -> int | None:
    match = NAME_PATTERN.match(name)
    return int(match.group(1)) if match else None


class Sink(Protocol):
    def describe(self) -> str: ...

    def has_seq(self, seq: int) -> bool: ...

    def write(self, name: str, raw: bytes) -> str: ...

    def read_all(self) -> Iterator[tuple[str, str, bytes]]:
        """(where, file name, content) of every checkpoint held."""
        ...


class DirectorySink:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"directory {self.path}"

    def has_seq(self, seq: int) -> bool:
        return any(self.path.glob(f"checkpoint-{seq:012d}-*.json"))

    def write(self, name: str, raw: bytes) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        final = self.path / name
        temporary = self.path / f".{name}.{uuid.uuid4().hex}.tmp"
        # Written in full and synced under another name, then linked: a crash leaves no
        # half checkpoint, and link() refuses to replace a file that exists.
        with temporary.open("xb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, final)
        finally:
            temporary.unlink()
        final.chmod(0o444)
        return str(final)

    def read_all(self) -> Iterator[tuple[str, str, bytes]]:
        if not self.path.is_dir():
            return
        for path in sorted(self.path.glob("checkpoint-*.json")):
            with path.open("rb") as handle:
                yield str(path), path.name, handle.read(MAX_CHECKPOINT_BYTES + 1)


class S3Sink:
    def __init__(self) -> None:
        self.bucket = settings.AUDIT_CHECKPOINT_S3_BUCKET
        self.prefix = settings.AUDIT_CHECKPOINT_S3_PREFIX
        self.lock_mode = settings.AUDIT_CHECKPOINT_S3_LOCK_MODE.upper()
        self.retain = dt.timedelta(days=settings.AUDIT_CHECKPOINT_S3_RETAIN_DAYS)
        credentials = {}
        if settings.AUDIT_CHECKPOINT_S3_ACCESS_KEY_ID:
            credentials = {
                "aws_access_key_id": settings.AUDIT_CHECKPOINT_S3_ACCESS_KEY_ID,
                "aws_secret_access_key": settings.AUDIT_CHECKPOINT_S3_SECRET_ACCESS_KEY,
            }
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.AUDIT_CHECKPOINT_S3_ENDPOINT_URL or None,
            region_name=settings.AUDIT_CHECKPOINT_S3_REGION,
            config=Config(
                s3={"addressing_style": settings.AUDIT_CHECKPOINT_S3_ADDRESSING_STYLE},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # Other S3 APIs (OSS among them) may refuse the newer checksum headers;
                # Content-MD5, which object lock requires, is sent explicitly instead.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
            **credentials,
        )

    def describe(self) -> str:
        return f"bucket s3://{self.bucket}/{self.prefix}"

    def has_seq(self, seq: int) -> bool:
        answer = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=f"{self.prefix}checkpoint-{seq:012d}-", MaxKeys=1
        )
        return answer.get("KeyCount", 0) > 0

    def write(self, name: str, raw: bytes) -> str:
        key = self.prefix + name
        lock = {}
        if self.lock_mode:
            lock = {
                "ObjectLockMode": self.lock_mode,
                "ObjectLockRetainUntilDate": dt.datetime.now(dt.UTC) + self.retain,
            }
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=raw,
            ContentType="application/json",
            ContentMD5=base64.b64encode(hashlib.md5(raw, usedforsecurity=False).digest()).decode(),
            **lock,
        )
        return f"s3://{self.bucket}/{key}"

    def read_all(self) -> Iterator[tuple[str, str, bytes]]:
        pages = self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for version in page.get("Versions", []):
                key, version_id = version["Key"], version["VersionId"]
                name = key[len(self.prefix) :]
                if name_seq(name) is None:
                    continue
                answer = self.client.get_object(Bucket=self.bucket, Key=key, VersionId=version_id)
                location = f"s3://{self.bucket}/{key}" + (f" (version {version_id})" if version_id != "null" else "")
                yield location, name, answer["Body"].read(MAX_CHECKPOINT_BYTES + 1)


def configured_sinks() -> list[Sink]:
    sinks: list[Sink] = []
    if settings.AUDIT_CHECKPOINT_DIR:
        sinks.append(DirectorySink(settings.AUDIT_CHECKPOINT_DIR))
    if settings.AUDIT_CHECKPOINT_S3_BUCKET:
        sinks.append(S3Sink())
    return sinks
