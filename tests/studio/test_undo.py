"""The shared undo history: value edits, merging of one field's edits, barriers, replay."""

from studio.models.undo import EditHistory


def _recorder():
    state = {"value": 0}

    def apply(value):
        state["value"] = value

    return state, apply


def test_change_applies_and_undo_restores(qtbot):
    edits = EditHistory()
    state, apply = _recorder()
    edits.change("Set value", apply, 0, 5)
    assert state["value"] == 5
    edits.undo()
    assert state["value"] == 0
    edits.redo()
    assert state["value"] == 5
    assert edits.undoText() == "Set value"


def test_edits_of_one_field_merge_until_a_barrier(qtbot):
    edits = EditHistory()
    state, apply = _recorder()
    for old, new in ((0, 1), (1, 2), (2, 3)):
        edits.change("Type", apply, old, new, merge_key="prompt")
    assert edits.count() == 1
    edits.close_merge()
    edits.change("Type", apply, 3, 4, merge_key="prompt")
    assert edits.count() == 2
    edits.undo()
    assert state["value"] == 3
    edits.undo()
    assert state["value"] == 0


def test_unchanged_values_and_edits_back_to_the_start_leave_no_step(qtbot):
    edits = EditHistory()
    state, apply = _recorder()
    edits.change("Same", apply, 1, 1)
    assert edits.count() == 0
    edits.change("Type", apply, 0, 7, merge_key="k")
    edits.change("Type", apply, 7, 0, merge_key="k")
    assert edits.count() == 0 and not edits.canUndo()


def test_a_setter_calling_back_during_replay_is_not_recorded_again(qtbot):
    edits = EditHistory()
    state = {"value": 0}

    def setter(value):  # a model setter that records its own edits
        edits.change("Set", lambda v: state.__setitem__("value", v), state["value"], value)

    edits.change("Set", setter, 0, 3)
    assert state["value"] == 3 and edits.count() == 1
    edits.undo()
    assert state["value"] == 0 and edits.count() == 1
