"""kit.determinism: KIT_THREADS fixes torch's thread count (else torch's own start-up count), a bad value fails with a
config error, and what was set is returned for the submission's metadata."""
import pytest
import torch

from kit.determinism import ISA_ENV, configure_determinism, thread_count
from kit.errors import ConfigError


@pytest.fixture(autouse=True)
def _restore_torch():
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def test_kit_threads_sets_and_records_the_thread_count(monkeypatch):
    monkeypatch.setenv("KIT_THREADS", "1")
    info = configure_determinism()
    assert torch.get_num_threads() == 1 and info["threads"] == 1
    assert info["deterministic_algorithms"] == (not torch.cuda.is_available())
    if info["deterministic_algorithms"]:
        assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
    assert {"cpu", "cpu_capability"} <= set(info)


def test_without_kit_threads_the_start_up_count_is_kept(monkeypatch):
    monkeypatch.delenv("KIT_THREADS", raising=False)
    default = thread_count()
    monkeypatch.setenv("KIT_THREADS", "1")
    configure_determinism()
    monkeypatch.delenv("KIT_THREADS")
    assert configure_determinism()["threads"] == default == torch.get_num_threads()  # not the 1 set before


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_bad_kit_threads_is_a_config_error(monkeypatch, value):
    monkeypatch.setenv("KIT_THREADS", value)
    with pytest.raises(ConfigError, match="KIT_THREADS"):
        thread_count()


def test_isa_caps_in_the_environment_are_recorded(monkeypatch):
    for name in ISA_ENV:
        monkeypatch.delenv(name, raising=False)
    assert "isa_env" not in configure_determinism()
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "AVX2")
    assert configure_determinism()["isa_env"] == {"DNNL_MAX_CPU_ISA": "AVX2"}
