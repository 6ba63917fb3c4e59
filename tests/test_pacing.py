"""Client-side pacing, one implementation for every messenger, on a fake clock: Feishu's 5 calls
per second per chat/user/card and 50 per app, Slack's one message per second per channel."""

from __future__ import annotations

import pytest

from bot.pacing import Paced, Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def feishu(time: FakeTime, **limits: int) -> Pacer:
    return Pacer(**{"per_key": 5, "per_app": 50, **limits}, clock=time.clock, sleep=time.sleep)


def test_a_sixth_send_to_the_same_chat_within_a_second_waits() -> None:
    time = FakeTime()
    pacer = feishu(time)
    waits = [pacer.wait("chat:oc_1") for _ in range(12)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5] == 1.0
    assert time.now == 102.0  # 12 sends at 5 per second: the last one goes out after 2 s


def test_different_chats_do_not_wait_for_each_other() -> None:
    time = FakeTime()
    pacer = feishu(time)
    assert [pacer.wait(f"chat:oc_{n}") for n in range(20)] == [0] * 20


def test_the_app_wide_limit_applies_across_chats() -> None:
    time = FakeTime()
    pacer = feishu(time, per_app=10)
    waits = [pacer.wait(f"chat:oc_{n}") for n in range(11)]
    assert waits[:10] == [0] * 10 and waits[10] == 1.0


def test_calls_spread_over_time_never_wait() -> None:
    time = FakeTime()
    pacer = feishu(time)
    for _ in range(20):
        assert pacer.wait("chat:oc_1") == 0
        time.now += 0.2
    assert time.slept == []


def test_one_per_second_spaces_sends_to_one_channel_and_other_channels_do_not_wait() -> None:
    time = FakeTime()
    pacer = Pacer(per_key=1, clock=time.clock, sleep=time.sleep)
    assert [pacer.wait("C1") for _ in range(3)] == [0, 1.0, 1.0]
    assert pacer.wait("C2") == 0
    time.now += 5
    assert pacer.wait("C1") == 0
    assert time.slept == [1.0, 1.0]


def test_idle_keys_are_forgotten() -> None:
    time = FakeTime()
    pacer = Pacer(per_key=1, max_keys=10, clock=time.clock, sleep=time.sleep)
    for n in range(11):
        pacer.wait(f"C{n}")
    time.now += 2
    pacer.wait("C-last")
    assert pacer.remembered() <= 10


def test_admit_never_sleeps_a_busy_key_is_refused_with_when_it_is_free() -> None:
    time = FakeTime()
    pacer = Pacer(per_key=1, clock=time.clock, sleep=time.sleep)
    pacer.admit("C1")
    with pytest.raises(Paced) as busy:
        pacer.admit("C1")
    assert busy.value.retry_after == 1.0 and time.slept == []
    pacer.admit("C2")  # another key is free: the refusal reserved nothing
    time.now += 1.0
    pacer.admit("C1")


def test_a_rate_limit_backs_off_its_group_only() -> None:
    time = FakeTime()
    pacer = Pacer(per_key=1, per_app=50, clock=time.clock, sleep=time.sleep)
    pacer.back_off("T1", 30)
    with pytest.raises(Paced) as refused:
        pacer.admit("T1:C1", "T1")
    assert refused.value.retry_after == 30
    pacer.admit("T2:C1", "T2")  # another workspace is not paused
    time.now += 30
    pacer.admit("T1:C1", "T1")
