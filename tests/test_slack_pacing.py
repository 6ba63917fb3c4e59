"""The per-channel pacer: about one send per second per channel, on an injected clock."""
from __future__ import annotations

from bot.slack.pacing import ChannelPacer


def test_sends_to_one_channel_are_spaced_and_other_channels_do_not_wait() -> None:
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(interval=1.0, clock=lambda: now[0], sleep=sleep)
    assert [pacer.wait("C1") for _ in range(3)] == [0, 1.0, 1.0]
    assert pacer.wait("C2") == 0
    now[0] += 5
    assert pacer.wait("C1") == 0
    assert slept == [1.0, 1.0]


def test_idle_channels_are_forgotten() -> None:
    now = [0.0]
    pacer = ChannelPacer(clock=lambda: now[0], sleep=lambda _s: None, max_keys=10)
    for n in range(11):
        pacer.wait(f"C{n}")
    now[0] += 2
    pacer.wait("C-last")
    assert len(pacer._next) <= 10
