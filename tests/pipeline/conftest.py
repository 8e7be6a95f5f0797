import pytest


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Runs write submissions/ and competitions/ relative to the current folder: keep them in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
