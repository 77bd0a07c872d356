"""Which device the engine runs on, in which dtype, and how much memory it has.

Order of preference: CUDA, then Apple MPS, then the CPU, unless the user overrides it
(`--device` / `KINORA_DEVICE`). Asking for a device that is not there falls back to the CPU
with a warning rather than failing: the engine must always start so the studio can show why.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class DeviceInfo:
    """The chosen device: what `Ready` reports and what adapters load onto."""

    kind: str  # "cuda", "mps" or "cpu"
    name: str
    dtype: torch.dtype

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.kind)

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def choose_device(preferred: str = "auto") -> DeviceInfo:
    """Pick the device and its dtype; `preferred` is one of DEVICE_CHOICES."""
    if preferred not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {preferred!r}; expected one of {DEVICE_CHOICES}")
    kind = preferred
    if kind == "auto":
        kind = "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    elif kind == "cuda" and not torch.cuda.is_available():
        log.warning("--device cuda asked for but CUDA is not available; using the CPU")
        kind = "cpu"
    elif kind == "mps" and not _mps_available():
        log.warning("--device mps asked for but MPS is not available; using the CPU")
        kind = "cpu"

    if kind == "cuda":
        # bf16 keeps fp32's range (no overflow in attention); only older GPUs lack it.
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        name = torch.cuda.get_device_name(0)
    elif kind == "mps":
        dtype = torch.float16  # bf16 support on MPS is partial across macOS releases
        name = "Apple GPU (MPS)"
    else:
        dtype = torch.float32  # CPU half precision is slow and inaccurate
        name = _cpu_name()
    return DeviceInfo(kind=kind, name=name, dtype=dtype)


def configure_threads() -> None:
    """Let torch use every core: the engine is the only heavy work in its process."""
    torch.set_num_threads(max(1, os.cpu_count() or 1))


def memory_info(device: DeviceInfo) -> tuple[int, int]:
    """(free, total) bytes on the device; system RAM for the CPU (and for MPS, which shares it)."""
    if device.kind == "cuda":
        free, total = torch.cuda.mem_get_info()
        return int(free), int(total)
    return system_memory()


def system_memory() -> tuple[int, int]:
    """(available, total) system RAM in bytes, or (0, 0) where the OS does not say."""
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = os.sysconf("SC_PHYS_PAGES") * page
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * page
        except (ValueError, OSError):  # macOS has no SC_AVPHYS_PAGES
            free = total
        return int(free), int(total)
    except (ValueError, OSError, AttributeError):
        return 0, 0


def free_memory(device: DeviceInfo) -> None:
    """Return cached allocator blocks to the device after a failure or an unload."""
    import gc

    gc.collect()
    if device.kind == "cuda":
        torch.cuda.empty_cache()
    elif device.kind == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "CPU"
