"""django-storages' AWS_*, GS_* and AZURE_* settings as the defaults of cloud mounts,
on the emulators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.test import override_settings

from genro_storage_django.checks import check_storage_mounts
from genro_storage_django.conf import get_manager
from genro_storage_django.storage import MountStorage
from tests.support.cloud import bare_fs, bucket_of, server_of, unique_prefix

pytestmark = pytest.mark.cloud


def _aws(request: pytest.FixtureRequest, **extra: Any) -> dict[str, Any]:
    server = server_of("s3", request)
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket_of("s3", request),
        "AWS_ACCESS_KEY_ID": server.key,
        "AWS_SECRET_ACCESS_KEY": server.secret,
        "AWS_S3_ENDPOINT_URL": server.endpoint_url,
        **extra,
    }


def test_aws_settings_fill_an_s3_mount(request: pytest.FixtureRequest) -> None:
    prefix = unique_prefix()
    with override_settings(
        STORAGE_MOUNTS={"media": {"type": "s3"}},
        **_aws(
            request,
            AWS_LOCATION=prefix,
            AWS_S3_OBJECT_PARAMETERS={"CacheControl": "max-age=600"},
            AWS_QUERYSTRING_EXPIRE=120,
            AWS_S3_FILE_OVERWRITE=True,
            AWS_DEFAULT_ACL=None,  # django-storages' default: as if not set
        ),
    ):
        assert check_storage_mounts() == []
        storage = MountStorage(mount="media")
        assert storage.save("a.txt", ContentFile(b"one")) == "a.txt"
        assert storage.save("a.txt", ContentFile(b"two")) == "a.txt"  # overwritten
        url = storage.url("a.txt")
        assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["120"]
        config = get_manager().get_mount("media").config
        assert "default_acl" not in config
        assert storage.node("a.txt").stat().extra["CacheControl"] == "max-age=600"
    key = f"{bucket_of('s3', request)}/{prefix}/a.txt"
    assert bare_fs("s3", request).cat_file(key) == b"two"


def test_a_mount_key_wins_over_the_setting(request: pytest.FixtureRequest) -> None:
    with override_settings(
        STORAGE_MOUNTS={
            "own": {"type": "s3", "location": "mine", "region_name": "eu-west-1"},
            "public": {"type": "s3", "anon": True},
            "genro": {"type": "s3", "base_path": "theirs"},
        },
        **_aws(request, AWS_LOCATION="global", AWS_S3_REGION_NAME="us-east-2"),
    ):
        own = get_manager().get_mount("own").config
        assert own["location"] == "mine"
        assert "prefix" not in own
        assert "region" not in own
        public = get_manager().get_mount("public").config
        assert "key" not in public  # credentials come as a group: anon is one of them
        assert public["bucket"] == bucket_of("s3", request)
        assert get_manager().get_mount("genro").config["prefix"] == "theirs"


def test_changed_settings_give_a_new_manager(request: pytest.FixtureRequest) -> None:
    with override_settings(STORAGE_MOUNTS={"m": {"type": "s3"}}, **_aws(request)):
        first = get_manager()
        with override_settings(AWS_QUERYSTRING_EXPIRE=60):
            assert get_manager() is not first
            assert get_manager().get_mount("m").config["querystring_expire"] == 60
        assert get_manager().get_mount("m").config.get("querystring_expire") is None


def test_gs_settings_fill_a_gcs_mount(request: pytest.FixtureRequest) -> None:
    server = server_of("gcs", request)
    prefix = unique_prefix()
    with override_settings(
        STORAGE_MOUNTS={"m": {"type": "gs", "endpoint_url": server.endpoint_url}},
        GS_BUCKET_NAME=bucket_of("gcs", request),
        GS_CREDENTIALS="anon",
        GS_PROJECT_ID=server.project,
        GS_LOCATION=prefix,
        GS_EXPIRATION=timedelta(minutes=5),
        GS_FILE_OVERWRITE=True,
    ):
        assert check_storage_mounts() == []
        config = get_manager().get_mount("m").config
        assert config["querystring_expire"] == 300
        assert config["file_overwrite"] is True
        MountStorage(mount="m").save("g.txt", ContentFile(b"gcs"))
    assert bare_fs("gcs", request).cat_file(f"{bucket_of('gcs', request)}/{prefix}/g.txt") == (
        b"gcs"
    )


def test_azure_settings_fill_an_azure_mount(request: pytest.FixtureRequest) -> None:
    server = server_of("azure", request)
    prefix = unique_prefix()
    with override_settings(
        STORAGE_MOUNTS={
            "m": {"type": "azure"},
            "own": {"type": "az", "connection_string": server.connection_string},
        },
        AZURE_CONTAINER=bucket_of("azure", request),
        AZURE_CONNECTION_STRING=server.connection_string,
        AZURE_ACCOUNT_KEY="not-used-by-a-mount-with-its-own-credentials",
        AZURE_LOCATION=prefix,
        AZURE_URL_EXPIRATION_SECS=90,
    ):
        assert check_storage_mounts() == []
        MountStorage(mount="m").save("z.txt", ContentFile(b"azure"))
        assert "account_key" not in get_manager().get_mount("own").config
        assert MountStorage(mount="own").open("z.txt").read() == b"azure"
    assert bare_fs("azure", request).cat_file(f"{bucket_of('azure', request)}/{prefix}/z.txt") == (
        b"azure"
    )


def test_a_bad_setting_is_a_check_error_naming_it(request: pytest.FixtureRequest) -> None:
    with override_settings(
        STORAGE_MOUNTS={"m": {"type": "s3"}}, **_aws(request, AWS_QUERYSTRING_AUTH="yes")
    ):
        errors = check_storage_mounts()
    assert [e.id for e in errors] == ["genro_storage_django.E008"]
    assert errors[0].hint == "the value comes from settings.AWS_QUERYSTRING_AUTH"
    with override_settings(STORAGE_MOUNTS={"m": {"type": "s3"}}):
        errors = check_storage_mounts()
    assert [e.id for e in errors] == ["genro_storage_django.E003"]  # no bucket at all


def test_an_unreadable_setting_is_left_to_the_manager(request: pytest.FixtureRequest) -> None:
    with override_settings(STORAGE_MOUNTS=5, **_aws(request)):
        with pytest.raises(ImproperlyConfigured, match="mounts must be a list"):
            get_manager()
        assert [e.id for e in check_storage_mounts()] == ["genro_storage_django.E008"]
    with override_settings(STORAGE_MOUNTS={"m": {"type": "nope"}}, **_aws(request)):
        assert [e.id for e in check_storage_mounts()] == ["genro_storage_django.E001"]
