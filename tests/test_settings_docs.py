"""Every setting is documented: docs/settings.md carries the table generated from the model."""

from __future__ import annotations

import pytest

from app.schemas import SETTINGS_DOC, env_name, settings_doc, settings_table
from app.settings import Settings

DOC = SETTINGS_DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("field", list(Settings.model_fields))
def test_setting_is_documented(field: str) -> None:
    assert f"`{field}`" in DOC, f"setting {field} is missing from docs/settings.md"
    assert f"`{env_name(field)}`" in DOC
    assert Settings.model_fields[field].description, f"setting {field} has no description"


def test_generated_table_is_up_to_date() -> None:
    assert settings_table() in DOC, "docs/settings.md is stale: run `python -m app schemas`"
    assert settings_doc(DOC) == DOC


def test_env_names() -> None:
    assert env_name("redis_url") == "REDIS_URL"
    assert env_name("stream_prefix") == "BASIRA_STREAM_PREFIX"
