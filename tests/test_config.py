"""Settings: defaults with no configuration, a TOML file, the environment over the file, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappa_kb.config import ConfigError, Settings
from mappa_kb.uris import SOURCE_BASE

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "mappa-kb.example.toml"


def test_defaults_need_no_configuration() -> None:
    settings = Settings.from_environment({})
    assert settings.base_uri == SOURCE_BASE and settings.endpoint is None and settings.query_timeout == 30


def test_the_example_file_is_valid_and_the_environment_wins(tmp_path: Path) -> None:
    assert Settings.from_environment({"MAPPA_KB_CONFIG": str(EXAMPLE)}).max_rows == 10000
    config = tmp_path / "mappa.toml"
    config.write_text('max_rows = 50\nendpoint = "http://127.0.0.1:8890/sparql"\n', encoding="utf-8")
    settings = Settings.from_environment({"MAPPA_KB_CONFIG": str(config), "MAPPA_KB_MAX_ROWS": "70"})
    assert settings.max_rows == 70 and settings.endpoint == "http://127.0.0.1:8890/sparql"


def test_http_caching_time_is_set_in_seconds() -> None:
    assert Settings.from_environment({}).cache_seconds == 300
    assert Settings.from_environment({"MAPPA_KB_CACHE_SECONDS": "0"}).cache_seconds == 0
    with pytest.raises(ConfigError, match="MAPPA_KB_CACHE_SECONDS: 90000 is outside 0 to 86400"):
        Settings.from_environment({"MAPPA_KB_CACHE_SECONDS": "90000"})


def test_the_memory_copy_budget_is_a_whole_number_of_megabytes() -> None:
    assert Settings.from_environment({}).memory_copy_mb == 0  # off: the copies are not shared
    assert Settings.from_environment({"MAPPA_KB_MEMORY_COPY_MB": "512"}).memory_copy_mb == 512
    with pytest.raises(ConfigError, match="MAPPA_KB_MEMORY_COPY_MB: 'lots' is not a whole number"):
        Settings.from_environment({"MAPPA_KB_MEMORY_COPY_MB": "lots"})


def test_the_answer_and_memory_limits_are_bounded_whole_numbers() -> None:
    settings = Settings.from_environment({})
    assert (settings.max_answer_bytes, settings.query_memory_mb) == (32 * 1024 * 1024, 1024)
    given = {"MAPPA_KB_MAX_ANSWER_BYTES": "2048", "MAPPA_KB_QUERY_MEMORY_MB": "100"}
    assert Settings.from_environment(given).max_answer_bytes == 2048
    assert Settings.from_environment(given).query_memory_mb == 100
    with pytest.raises(ConfigError, match="MAPPA_KB_MAX_ANSWER_BYTES: 10 is outside 1024 to 2147483648"):
        Settings.from_environment({"MAPPA_KB_MAX_ANSWER_BYTES": "10"})
    with pytest.raises(ConfigError, match=r"MAPPA_KB_QUERY_MEMORY_MB: '1\.5' is not a whole number"):
        Settings.from_environment({"MAPPA_KB_QUERY_MEMORY_MB": "1.5"})


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("max_rowz = 5\n", "unknown setting(s) max_rowz"),
        ("max_rows = \n", "not valid TOML"),
        ('endpoint = "ftp://x"\n', "MAPPA_KB_ENDPOINT: 'ftp://x' is not an http(s) URL"),
        ("memory_copy_mb = -1\n", "MAPPA_KB_MEMORY_COPY_MB: -1 is outside 0 to 1000000"),
        ("query_memory_mb = 8\n", "MAPPA_KB_QUERY_MEMORY_MB: 8 is outside 16 to 1000000"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(tmp_path: Path, content: str, says: str) -> None:
    config = tmp_path / "mappa.toml"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Settings.from_environment({"MAPPA_KB_CONFIG": str(config)})
    assert says in str(caught.value)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"cannot read /nowhere/mappa\.toml"):
        Settings.from_environment({"MAPPA_KB_CONFIG": "/nowhere/mappa.toml"})


def test_the_proxies_believed_are_ip_addresses() -> None:
    assert Settings.from_environment({}).forwarded_allow == {"127.0.0.1", "::1"}
    assert Settings.from_environment({"MAPPA_KB_CONFIG": str(EXAMPLE)}).forwarded_allow == {
        "127.0.0.1",
        "::1",
    }
    chosen = Settings.from_environment({"MAPPA_KB_FORWARDED_ALLOW_IPS": "10.0.0.5, 2001:db8::1"})
    assert chosen.forwarded_allow == {"10.0.0.5", "2001:db8::1"}
    assert Settings.from_environment({"MAPPA_KB_FORWARDED_ALLOW_IPS": "*"}).forwarded_allow == {"*"}


def test_a_proxy_must_be_an_ip_address_and_is_written_as_the_server_writes_it() -> None:
    with pytest.raises(
        ConfigError, match=r"MAPPA_KB_FORWARDED_ALLOW_IPS: 'nginx\.local' is not an IP address"
    ):
        Settings.from_environment({"MAPPA_KB_FORWARDED_ALLOW_IPS": "127.0.0.1, nginx.local"})
    chosen = Settings.from_environment({"MAPPA_KB_FORWARDED_ALLOW_IPS": "2001:DB8:0::1"})
    assert chosen.forwarded_allow == {"2001:db8::1"}
