"""What the status bar says about the engine: state, device, memory, models.

Crashes are shown calmly: the link restarts the engine by itself, so the status reads
"Engine restarting…" and one error notice (with the log one click away) tells what happened.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine import protocol
from studio.models.notifications import Notifications

STATE_TEXT = {
    "starting": "Engine starting…",
    "ready": "Engine ready",
    "busy": "Rendering",
    "crashed": "Engine stopped — restarting…",
    "restarting": "Engine restarting…",
    "stopped": "Engine stopped",
}

# Traffic-light level of each state, for the status dot: ok / working / trouble / off.
STATE_LEVEL = {
    "starting": "working",
    "ready": "ok",
    "busy": "working",
    "crashed": "trouble",
    "restarting": "trouble",
    "stopped": "off",
}


def format_bytes(count: int) -> str:
    """1.5 GB / 512 MB, in decimal units as drive and GPU vendors print them."""
    if count >= 10**9:
        return f"{count / 10**9:.1f} GB"
    return f"{count / 10**6:.0f} MB"


class EngineStatus(QObject):
    """Observable engine facts for the status bar, fed by the link's signals."""

    changed = Signal()

    def __init__(self, link, notifications: Notifications | None = None, parent=None) -> None:
        super().__init__(parent)
        self.link = link
        self.notifications = notifications
        self.state = link.state
        self.info: protocol.Ready | None = link.info
        self._crash_notice = None
        link.stateChanged.connect(self._on_state)
        link.ready.connect(self._on_ready)

    @property
    def state_text(self) -> str:
        """The state as the status bar says it."""
        return STATE_TEXT.get(self.state, self.state.capitalize())

    @property
    def level(self) -> str:
        """ok / working / trouble / off, for the status dot's colour."""
        return STATE_LEVEL.get(self.state, "off")

    @property
    def device_text(self) -> str:
        """ "CPU · float32" / "NVIDIA H100 (cuda) · bfloat16"; "" before the handshake."""
        if self.info is None:
            return ""
        name = self.info.device_name or self.info.device
        same = name.lower() == self.info.device.lower()
        device = name.upper() if same else f"{name} ({self.info.device})"
        return f"{device} · {self.info.dtype}"

    @property
    def memory_text(self) -> str:
        """Free of total memory on the device, as reported at the handshake."""
        if self.info is None or not self.info.memory_total:
            return ""
        free, total = self.info.memory_free, self.info.memory_total
        return f"{format_bytes(free)} free of {format_bytes(total)}"

    @property
    def models(self) -> list[protocol.ModelInfo]:
        """The models of the last handshake."""
        return list(self.info.models) if self.info else []

    @property
    def tooltip(self) -> str:
        """The long form for a hover: engine version, device, memory, models."""
        if self.info is None:
            return self.state_text
        names = ", ".join(m.name for m in self.info.models) or "none"
        return (
            f"{self.state_text}\nEngine {self.info.engine_version}\n{self.device_text}\n"
            f"Memory: {self.memory_text or 'unknown'}\nModels: {names}"
        )

    def _on_state(self, state: str) -> None:
        if state == self.state:
            return
        previous, self.state = self.state, state
        notes = self.notifications
        if notes is not None:
            if state == "crashed":
                self._crash_notice = notes.error(
                    "The engine stopped unexpectedly. It is restarting; finished renders are safe."
                )
            elif state == "ready" and previous in ("crashed", "restarting"):
                # Replace our own crash notice with a calm one, but never hide a newer
                # message (e.g. the failed render's reason) that came after it.
                current = notes.current
                if current is not None and current is self._crash_notice:
                    notes.info("The engine stopped unexpectedly and was restarted.")
                self._crash_notice = None
            elif state == "stopped" and getattr(self.link, "error", None):
                notes.error(f"The engine stopped and will not restart: {self.link.error}")
        self.changed.emit()

    def _on_ready(self, ready: protocol.Ready) -> None:
        self.info = ready
        self.changed.emit()
