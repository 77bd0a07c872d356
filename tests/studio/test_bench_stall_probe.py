"""The GUI responsiveness benchmark's probe sees a blocked event loop as a stall."""

import time

from bench.gui_responsiveness import StallProbe, spin


def test_a_blocking_handler_shows_as_a_stall_of_at_least_its_length(qapp):
    probe = StallProbe()
    probe.start()
    spin(qapp, 0.05)
    time.sleep(0.12)  # a handler that blocks the loop for 120 ms
    spin(qapp, 0.05)
    result = probe.stop()
    assert result["ticks"] > 2
    assert result["max_stall_ms"] >= 100.0


def test_gaps_never_go_negative(qapp):
    probe = StallProbe()
    probe.gaps_ms.extend([-3.0, -1.0])
    result = probe.stop()
    assert result["max_stall_ms"] == 0.0
