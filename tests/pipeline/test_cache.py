from kit.pipeline.cache import StageDir, file_digest, hash_obj


def test_hash_ignores_key_order_but_not_values():
    assert hash_obj({"a": 1, "b": [1, 2]}) == hash_obj({"b": [1, 2], "a": 1})
    assert hash_obj({"a": 1}) != hash_obj({"a": 2})


def test_file_digest_follows_content(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    d = file_digest(p)
    p.write_bytes(b"abd")
    assert file_digest(p) != d


def test_stage_is_done_only_after_finish(tmp_path):
    sd = StageDir(tmp_path, "reduce", {"steps": []}, {"extract": "h"})
    assert not sd.done
    sd.prepare()
    (sd.path / "partial").write_text("crash leftovers")
    assert not sd.done
    sd.prepare()  # incomplete stage folders are wiped
    assert not (sd.path / "partial").exists()
    sd.finish(1.5)
    assert sd.done and sd.info()["seconds"] == 1.5
    assert StageDir(tmp_path, "reduce", {"steps": []}, {"extract": "other"}).path != sd.path


def test_partial_folder_kept_when_stage_can_resume(tmp_path):
    sd = StageDir(tmp_path, "pretrain", {}, {})
    sd.prepare()
    (sd.path / "checkpoints").mkdir()
    sd.prepare(keep_partial=True)
    assert (sd.path / "checkpoints").exists()


def test_stage_lock_makes_a_second_holder_wait_and_hides_from_stage_globs(tmp_path):
    import threading

    first, second = (StageDir(tmp_path, "reduce", {"steps": []}, {"extract": "h"}) for _ in range(2))
    got = threading.Event()

    def take():
        with second.lock():  # another file descriptor, as in another process: flock makes it wait
            got.set()

    with first.lock():
        waiter = threading.Thread(target=take)
        waiter.start()
        assert not got.wait(0.5)
    assert got.wait(10)
    waiter.join()
    assert [p.name for p in tmp_path.iterdir()] == [f".{first.path.name}.lock"]
    assert list(tmp_path.glob("reduce-*")) == []  # report tools glob <stage>-* for stage folders


def test_a_waiting_holder_hears_who_holds_the_lock_once(tmp_path):
    import os
    import threading

    first, second = (StageDir(tmp_path, "reduce", {"steps": []}, {"extract": "h"}) for _ in range(2))
    heard = []
    with second.lock(on_wait=heard.append):  # free: no call
        pass
    assert heard == []
    done = threading.Event()

    def take():
        with second.lock(on_wait=heard.append):
            done.set()

    with first.lock():
        waiter = threading.Thread(target=take)
        waiter.start()
        assert not done.wait(0.5)
        assert heard == [os.getpid()]  # the holder wrote its pid into the lock file
    assert done.wait(10)
    waiter.join()
    assert heard == [os.getpid()]
