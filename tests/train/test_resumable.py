"""The Ctrl-C message names the epoch the checkpoint on disk resumes from, whatever a counter says."""
import pytest

from kit.errors import Interrupted
from kit.train.loop import resumable, save_checkpoint


def test_message_reads_the_epoch_from_the_checkpoint(tmp_path):
    last = tmp_path / "last.pt"
    with pytest.raises(Interrupted, match="resume from epoch 1$"):
        with resumable("pretrain", last):
            raise KeyboardInterrupt
    save_checkpoint(last, model={}, epoch=7)  # saved, and Ctrl-C lands before any in-memory bookkeeping
    with pytest.raises(Interrupted, match="pretrain interrupted; rerun to resume from epoch 8$"):
        with resumable("pretrain", last):
            raise KeyboardInterrupt


def test_other_errors_pass_through(tmp_path):
    with pytest.raises(ValueError):
        with resumable("refine", tmp_path / "last.pt"):
            raise ValueError("not an interrupt")
