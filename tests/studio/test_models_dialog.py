"""The Models dialog (offscreen, fake engine link): installed models from a Ready event,
add and remove a library folder, a Hub download's progress, cancel and finish."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from engine import protocol
from studio.app import build_main_window
from studio.models.model_manager import ModelManager
from studio.models_store import ModelLibrary
from studio.ui.models_dialog import ModelsDialog
from tests.studio.hub_server import HubServer
from tests.studio.studio_fakes import FakeLink, model_info, ready_event


class RecordingLink(FakeLink):
    """FakeLink that counts engine restarts (a rescan is shutdown + start)."""

    def __init__(self) -> None:
        super().__init__()
        self.restarts = 0

    def start(self) -> None:
        self.restarts += 1
        super().start()


def wan_model(folder: Path, **overrides) -> protocol.ModelInfo:
    values = dict(
        id=folder.name,
        name=f"{folder.name} (Wan 2.1 T2V)",
        family="wan",
        capabilities=["generate", "remix"],
        path=str(folder),
        size_bytes=17_400_000_000,
        dtype="bfloat16",
        parameters=7_200_000_000,
        source="folder",
        plan={"fits": True, "text": "fits at 832x480 with model offload, about 1.1x slower"},
    )
    values.update(overrides)
    return model_info(**values)


def diffusers_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    return path


@pytest.fixture
def link():
    link = RecordingLink()
    link.handshake()
    return link


@pytest.fixture
def dialog(qtbot, link):
    dialog = ModelsDialog(ModelManager(link))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def cells(dialog: ModelsDialog, row: int) -> list[str]:
    return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]


def select(dialog: ModelsDialog, model_id: str) -> None:
    for row in range(dialog.table.rowCount()):
        if dialog.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == model_id:
            dialog.table.selectRow(row)
            return
    raise AssertionError(f"{model_id} not listed")


def test_installed_models_come_from_the_ready_event(dialog, link, tmp_path):
    ready = ready_event([wan_model(tmp_path / "wan-1.3b")])
    ready.refused = [{"id": "old", "path": "/m/old", "message": "pickle weights; convert them"}]
    ready.models.append(
        wan_model(tmp_path / "wan-14b", id="wan-14b", name="Wan 14B", source="hf-cache",
                  plan={"fits": False, "text": "needs ~41.4 GB of system RAM"})
    )  # fmt: skip
    link.ready.emit(ready)
    assert dialog.table.rowCount() == 2
    assert cells(dialog, 0) == [
        "wan-1.3b (Wan 2.1 T2V)", "generate, remix", "17.4 GB", "bfloat16",
        "fits at 832x480 with model offload, about 1.1x slower", "folder",
    ]  # fmt: skip
    assert cells(dialog, 1)[4:] == ["needs ~41.4 GB of system RAM", "Hugging Face cache"]
    assert dialog.table.item(1, 4).foreground().color() == Qt.GlobalColor.red
    assert "Not usable: /m/old: pickle weights; convert them" in dialog.refused_label.text()
    assert "12.3 GB free of 31.4 GB" in dialog.device_label.text()


def test_add_a_folder_then_remove_it(dialog, link, tmp_path, monkeypatch, qtbot):
    folder = diffusers_folder(tmp_path / "models" / "my-wan")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert [e.id for e in ModelLibrary().entries()] == ["my-wan"]
    assert link.restarts == 1  # the engine rescans
    assert "Added" in dialog.status_label.text()

    link.handshake([model_info(), wan_model(folder)])  # the restarted engine lists it
    select(dialog, "demo")
    assert not dialog.remove_button.isEnabled()  # bundled: not ours to remove
    select(dialog, "my-wan")
    assert dialog.remove_button.isEnabled()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert ModelLibrary().entries() == []
    assert link.restarts == 2 and folder.is_dir()


def test_a_folder_without_a_model_is_not_added(dialog, link, tmp_path):
    empty = tmp_path / "holiday-photos"
    empty.mkdir()
    dialog.add_folder(str(empty))
    assert "has no model_index.json" in dialog.status_label.text()
    assert ModelLibrary().entries() == [] and link.restarts == 0


def test_adding_during_a_render_rescans_after_it(dialog, link, tmp_path):
    link.set_state("busy")
    dialog.add_folder(str(diffusers_folder(tmp_path / "later")))
    assert link.restarts == 0
    assert "when the render ends" in dialog.status_label.text()
    link.set_state("ready")
    assert link.restarts == 1


BIG = os.urandom(400_000)
REPO = {
    "model_index.json": b'{"_class_name": "WanPipeline"}',
    "transformer/config.json": b"{}",
    "transformer/diffusion_pytorch_model.safetensors": BIG,
}


@pytest.fixture
def hub(monkeypatch, tmp_path):
    import huggingface_hub.constants as constants

    server = HubServer({"org/tiny": REPO}, chunk_delay=0.01)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 8192)
    with server:
        yield server


def test_a_download_shows_progress_and_cancel_stops_it(dialog, link, hub, qtbot):
    dialog.repo_edit.setText("org/tiny")
    with qtbot.waitSignal(dialog.manager.downloadProgress, timeout=10_000):
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert not dialog.download_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10_000)
    with qtbot.waitSignal(dialog.manager.downloadCancelled, timeout=10_000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert 0 < dialog.progress.value() < 1000
    assert "Cancelled" in dialog.status_label.text()
    assert dialog.download_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert link.restarts == 0  # nothing new to list


def test_a_finished_download_rescans_the_engine(dialog, link, hub, qtbot, tmp_path):
    dialog.repo_edit.setText("org/tiny")
    with qtbot.waitSignal(dialog.manager.downloadFinished, timeout=30_000) as done:
        dialog.start_download()
    snapshot = Path(done.args[0])
    assert (snapshot / "transformer" / "diffusion_pytorch_model.safetensors").read_bytes() == BIG
    assert dialog.progress.value() == 1000
    assert link.restarts == 1


def test_a_bad_repo_id_is_refused_at_once(dialog):
    dialog.repo_edit.setText("not a repo")
    dialog.start_download()
    assert "is not a repo id" in dialog.status_label.text()
    assert not dialog.manager.downloading


def test_the_main_window_opens_the_dialog_from_the_models_menu(qtbot, link, tmp_path):
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    window = build_main_window(link, tmp_path / "data", settings)
    qtbot.addWidget(window)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Models")
    assert window.models_action in menu.actions()
    window.models_action.trigger()
    assert window.models_dialog.isVisible()
    assert window.models_dialog.table.rowCount() == len(link.info.models)


def test_the_memory_plan_shows_while_the_model_loads(qapp):
    from studio.models.job_progress import JobProgress

    job = JobProgress()
    job.begin("j1")
    job.handle(protocol.Started(job_id="j1"))
    line = "loading Wan 1.3B: fits at 832x480 with group offload, about 1.4x slower"
    job.handle(protocol.Progress(job_id="j1", phase="loading", message=line))
    assert (
        job.status_text == "Loading Wan 1.3B: fits at 832x480 with group offload, about 1.4x slower"
    )
    job.handle(protocol.Progress(job_id="j1", phase="denoising", step=1, total=30))
    assert job.status_text == "Denoising"


def test_the_library_file_survives_mistakes(tmp_path):
    from studio.models_store import LibraryError

    library = ModelLibrary(tmp_path / "models.json")
    first = library.add(diffusers_folder(tmp_path / "a" / "wan"))
    assert library.add(tmp_path / "a" / "wan") == first  # adding twice keeps one entry
    with pytest.raises(LibraryError, match="already in the library"):
        library.add(diffusers_folder(tmp_path / "b" / "wan"))  # same id, other folder
    with pytest.raises(LibraryError, match=r"no model 'nope' in the library \(added: wan\)"):
        library.remove("nope")
    assert ModelLibrary(tmp_path / "models.json").entries() == [first]  # persisted
    assert library.remove(str(tmp_path / "a" / "wan")) == first  # by path too
    (tmp_path / "models.json").write_text("{not json")
    assert library.entries() == []  # a broken file reads as empty, never crashes
