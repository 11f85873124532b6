"""The review screen (`coder review`): a Textual app over `coder.review.ReviewSession`.

Every key that decides something goes straight to the session, which commits it to the project
before returning; the screen then shows what the store now says. The app itself keeps only
what to look at (the focused theme), so killing it loses nothing shown as made.
"""

from __future__ import annotations

import getpass
import os
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from coder.coding import unfinished_lines
from coder.errors import CoderError, InputError
from coder.review import CommentView, ReviewSession
from coder.review_render import (
    NUMBER_KEYS,
    attributes_table,
    coders_table,
    comment_text,
    done_text,
    memo_text,
    position_line,
    progress_text,
    theme_colors,
    theme_detail,
    themes_table,
)
from coder.review_widgets import CommentList, HelpScreen, MemoDialog, ThemeSearch
from coder.store import Store

if TYPE_CHECKING:
    from pathlib import Path

    from coder.learning import Relearned

KEY_LOCK_WAIT_S = 2.0  # a decision waits this long for another program's lock on the project
PROGRESS_THEMES = 5  # themes the progress panel counts while a comment is shown

CSS = """
#main { height: 1fr; }
#left { width: 3fr; padding: 0 1; }
#right { width: 2fr; padding: 0 1; }
#position { margin-bottom: 1; }
.panel { height: auto; border: round $primary 60%; padding: 0 1; margin-bottom: 1; }
#comment { border: round $primary; }
#detail { height: 1fr; }
#status { height: auto; color: $text-muted; }
Screen.-done .panel { display: none; }
Screen.-done #progress { display: block; }
"""


class RetrainProgress(Message):
    """A line from the retraining thread (posted, so the thread never waits for the screen)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class RetrainStopped(Exception):
    """Raised in the retraining thread when the app asks it to stop (on quitting)."""


def default_reviewer() -> str:
    """The OS user name, the reviewer's name when none is given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        raise InputError("cannot tell who you are: give your name with --reviewer NAME") from None


def require_writable(store: Store) -> None:
    """Review records every key in the project: refuse one this user cannot write before the
    screen opens, rather than fail on each key."""
    if not os.access(store.path, os.W_OK):
        raise InputError(
            f"project {store.path} is read-only to you, and review records each decision in "
            "it; `coder status` and `coder export` can read it. To review, copy it to a folder "
            "you can write to, or ask its owner for write access"
        )


def require_terminal() -> None:
    """Review is interactive: refuse a pipe or a redirect before the screen takes over."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError(
            "coder review needs an interactive terminal; run it in a terminal window, with "
            "nothing piped in or out (`coder status PROJECT` reports progress without one)"
        )


def _waiting_for_others(store: Store, session: ReviewSession, theme: str) -> str:
    """Who else has comments coded with split `theme` waiting, for the message that this
    reviewer has none: '; comments wait for ana (24) (give --reviewer)'."""
    waiting = {
        name: sum(theme in state.resplit for state in states.values())
        for name, states in store.states(book=session.codebook).items()
    }
    listed = ", ".join(f"{name} ({n})" for name, n in sorted(waiting.items()) if n)
    return f"; comments wait for {listed} (give --reviewer)" if listed else ""


def open_session(
    store: Store, reviewer: str, mode: str = "review", **options: Any
) -> ReviewSession:
    """A review session with something in it to review; else an error that says why not.
    `options` go to `ReviewSession` (order, theme, uncoded, only_unreviewed, seed, question,
    coded, flagged)."""
    session = ReviewSession(store, reviewer, mode=mode, **options)
    if session.ids:
        return session
    question = options.get("question")
    among = f" among the answers to '{question}'" if question else ""
    raise InputError(
        _picked_by_filter(store, session, mode, options, among)
        or _nothing_left(store, session, mode, options, among)
    )


def _picked_by_filter(
    store: Store, session: ReviewSession, mode: str, options: dict[str, Any], among: str
) -> str:
    """Why the filters that pick comments by flags, your codes or a split picked none; ''
    when none of them was asked for."""
    path, theme = store.path, options.get("theme")
    if options.get("flagged"):
        narrowed = any(options.get(k) for k in ("theme", "uncoded", "coded", "only_unreviewed"))
        return (
            f"no comment in {path}{among} is flagged for discussion"
            + (" among those the other options pick" if narrowed else "")
            + " (f on the review screen flags the comment shown)"
        )
    if options.get("coded"):
        return (
            f"{session.reviewer} has coded no comment in {path}{among} with theme "
            f"'{options['coded']}'" + (f" among those suggested '{theme}'" if theme else "")
        )
    if theme in session.codebook.split:
        whose = "an adjudication" if mode == "adjudicate" else f"{session.reviewer}'s coding"
        return (
            f"nothing to review again for the split of theme '{theme}' in {path}{among}: no "
            f"comment has {whose} with '{theme}' that waits to be coded with its parts"
            + ("" if mode == "adjudicate" else _waiting_for_others(store, session, theme))
        )
    return ""


def _nothing_left(
    store: Store, session: ReviewSession, mode: str, options: dict[str, Any], among: str
) -> str:
    """Why a session without those filters has no comment to show."""
    path, theme = store.path, options.get("theme")
    if mode == "adjudicate":
        about = f" on theme '{theme}'" if theme else ""
        return (
            f"nothing to adjudicate in {path}{among}: no comment was coded differently{about} "
            "by two reviewers (see `coder agree --disagreements`)"
        )
    if theme is not None:
        return f"no comment in {path}{among} has a suggestion of theme '{theme}'"
    if options.get("uncoded"):
        return f"every comment in {path}{among} has a theme: none is left uncoded"
    if options.get("only_unreviewed") and store.comment_count():
        return (
            f"{session.reviewer} has reviewed every comment in {path}{among}; "
            "leave out --only-unreviewed to go over them again"
        )
    return (
        f"project {path} has no comments to review; import some with `coder tag INPUT --db {path}`"
    )


class ReviewApp(App[None]):
    """One reviewer's session on screen. `retrain_options` go to `coder.learning.retrain`."""

    TITLE = "coder review"
    CSS = CSS
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        # help and quit first: the footer is cut at the screen's width, and ? lists the rest
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("1", "toggle(1)", "toggle", key_display="1-9"),
        *(Binding(key, f"toggle({n})", show=False) for n, key in enumerate(NUMBER_KEYS[1:], 2)),
        Binding("a", "decide('accept')", "accept"),
        Binding("x", "decide('reject_all')", "reject"),
        Binding("slash", "search", "add"),
        Binding("n", "step('next')", "next"),
        Binding("p", "step('previous')", "prev"),
        Binding("s", "step('skip')", "skip"),
        Binding("f", "step('flag')", "flag"),
        Binding("m", "memo", "memo"),
        Binding("u,backspace", "undo", "undo"),
        Binding("l", "list", "list"),
        Binding("r", "retrain", "retrain"),
        Binding("up,k", "focus_theme(-1)", show=False),
        Binding("down,j", "focus_theme(1)", show=False),
        Binding("space", "toggle_focused", show=False),
        Binding("pagedown", "scroll_comment(1)", show=False),
        Binding("pageup", "scroll_comment(-1)", show=False),
    ]

    def __init__(self, session: ReviewSession, retrain_options: dict[str, Any] | None = None):
        super().__init__()
        self.session = session
        # A key waits at most this long for another program's lock: the screen is frozen
        # meanwhile, so fail soon with a message rather than after the store's usual wait.
        session.store.wait_for_locks(KEY_LOCK_WAIT_S)
        self.palette = theme_colors(session.codebook)
        self.retrain_options = retrain_options or {}
        self.focus_row = 0  # index of the focused theme in the comment's list
        self.shown: CommentView | None = None
        self._painted: dict[str, Text] = {}  # what each part of the screen shows
        self._retrainer: Worker[Relearned] | None = None

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with VerticalScroll(id="left", can_focus=False):
                yield Static(id="position")
                yield self._panel("comment", "Comment")
                if self.session.mode == "adjudicate":
                    yield self._panel("coders", "Each coder's themes")
                yield self._panel("attributes", "Respondent")
                yield self._panel("memo", "Memo")
            with Vertical(id="right"):
                yield self._panel("themes", "Themes")
                with VerticalScroll(id="detail", can_focus=False):
                    yield Static(id="definition")
                yield self._panel("progress", "Progress")
                yield Static(id="status")
        yield Footer()

    @staticmethod
    def _panel(name: str, title: str) -> Static:
        panel = Static(id=name, classes="panel")
        panel.border_title = title
        return panel

    def on_mount(self) -> None:
        session = self.session
        self.sub_title = f"{session.store.path.name} · {session.reviewer} · {session.mode}"
        self.show()
        # Comments an import adds from here on come in a later session: say one is unfinished.
        for line in unfinished_lines(session.store.path, session.store.unfinished_imports()):
            self.notify(line, severity="warning", timeout=20, markup=False)

    # --- showing ---------------------------------------------------------------------------

    def show(self) -> None:
        """Render the session's current comment as the store has it now."""
        view = self.session.current()
        if view is None or self.shown is None or view.id != self.shown.id:
            self.focus_row = 0
        self.shown = view
        self.default_screen.set_class(view is None, "-done")  # past the last comment: progress only
        progress = self.session.progress()
        book = self.session.codebook
        contents: dict[str, Text] = dict.fromkeys(self._painted, Text())
        most = None if view is None else PROGRESS_THEMES  # past the end, it has the room
        contents["progress"] = progress_text(progress, book, self.palette, most)
        if view is None:
            contents["position"] = done_text(progress)
        else:
            self.focus_row = max(0, min(self.focus_row, len(view.themes) - 1))
            focused = view.themes[self.focus_row].theme if view.themes else None
            mode = self.session.mode
            contents |= {
                "position": position_line(view),
                "comment": comment_text(view, self.palette),
                "attributes": attributes_table(view),
                "memo": memo_text(view),
                "themes": themes_table(
                    view, book, self.palette, self.focus_row, mode, self._themes_width()
                ),
                "definition": theme_detail(book, focused, self.palette),
            }
            if mode == "adjudicate":
                contents["coders"] = coders_table(view, book)
        for name, content in contents.items():
            # Only what changed: each update lays the screen out again.
            if self._painted.get(name) != content:
                self.query_one(f"#{name}", Static).update(content)
                self._painted[name] = content

    def _themes_width(self) -> int:
        """The theme list's width on screen (0 before the first layout: not cut)."""
        return self.query_one("#themes", Static).content_region.width

    def on_resize(self) -> None:
        self.call_after_refresh(self.show)  # the theme list is cut to the new width

    def _act(self, step: Callable[[], object]) -> None:
        """Run a session step, say what went wrong if anything did, and show the result."""
        try:
            step()
        except CoderError as exc:
            self.notify(str(exc), severity="error", markup=False)
        self.show()

    # --- keys ------------------------------------------------------------------------------

    def action_toggle(self, number: int) -> None:
        view = self.shown
        if view is None:
            return
        if number > len(view.themes):
            self.notify(
                f"No theme {NUMBER_KEYS[number - 1]} here: press / to add one", markup=False
            )
            return
        self.focus_row = number - 1
        self._act(lambda: self.session.toggle(view.themes[number - 1].theme, seen=view))

    def action_toggle_focused(self) -> None:
        """Code or uncode the focused theme: the way to those past the number keys."""
        if self.shown is not None and self.shown.themes:
            self.action_toggle(self.focus_row + 1)

    def action_scroll_comment(self, pages: int) -> None:
        """Page through a comment longer than the screen."""
        left = self.query_one("#left", VerticalScroll)
        left.scroll_to(y=left.scroll_y + pages * max(1, left.size.height - 2), animate=False)

    def action_focus_theme(self, step: int) -> None:
        self.focus_row += step
        self.show()

    def action_step(self, name: str) -> None:
        """A session step that takes nothing more: next, previous, skip, flag (the bindings
        name them)."""
        self._act(getattr(self.session, name))

    def action_decide(self, name: str) -> None:
        """accept or reject_all, of the codes on screen: refused if the project has changed
        them since they were shown (a re-score, another reviewer), and the screen repainted."""
        view = self.shown
        self._act(lambda: getattr(self.session, name)(seen=view))

    def action_undo(self) -> None:
        def undo() -> None:
            undone = self.session.undo()
            shown = self.session.current()
            if undone is None:
                self.notify("Nothing left to undo", markup=False)
            elif shown is None or undone.id != shown.id:
                self.notify(
                    f"Undid a decision on comment {undone.external_id}, which is not in this "
                    "review's list",
                    markup=False,
                )

        self._act(undo)

    def action_memo(self) -> None:
        view = self.shown
        if view is not None:
            self.push_screen(
                MemoDialog(view.memo), lambda text: self._on_comment(view, text, "memo")
            )

    def action_search(self) -> None:
        view = self.shown
        if view is not None:
            dialog = ThemeSearch(self.session.codebook, self.palette)
            self.push_screen(dialog, lambda theme: self._on_comment(view, theme, "add"))

    def _on_comment(self, view: CommentView, value: str | None, what: str) -> None:
        """A dialog's answer for the comment it was opened on (None: cancelled)."""
        if value is None:
            return
        self.session.go_to(view.id)  # a retrain finishing meanwhile keeps it, but be sure
        self._act(lambda: self._add(value, view) if what == "add" else self.session.memo(value))

    def _add(self, theme: str, seen: CommentView) -> None:
        """Code a theme found in the codebook, and focus it to show its definition."""
        themes = self.session.add(theme, seen=seen).themes
        self.focus_row = next((i for i, row in enumerate(themes) if row.theme == theme), 0)

    def action_list(self) -> None:
        def opened(comment_id: int | None) -> None:
            if comment_id is not None:
                self.session.go_to(comment_id)
                self.show()

        self.push_screen(CommentList(self.session, self.palette), opened)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # --- the learning loop -----------------------------------------------------------------

    def action_retrain(self) -> None:
        if self.session.mode == "blind":  # its model would change what everyone else reviews
            self.notify(
                "r is not for a blind session: a model of your coding would replace the "
                "suggestions the others review. Retrain once the sample is coded: coder train "
                "--db PROJECT",
                markup=False,
            )
            return
        if self._retrainer is not None and self._retrainer.is_running:
            self.notify("Already retraining; keep reviewing meanwhile", markup=False)
            return
        self._status("Retraining on the reviewed comments...")
        self._retrainer = self.run_worker(
            self._retrain, thread=True, group="retrain", exit_on_error=False
        )

    def _retrain(self) -> Relearned:
        """In a worker thread: train, then re-score the unreviewed comments (own connections)."""
        from coder.learning import retrain  # training's imports are slow: only when asked

        worker = get_current_worker()

        def progress(text: str) -> None:
            if worker.is_cancelled:
                raise RetrainStopped
            self.post_message(RetrainProgress(text[:1].upper() + text[1:] + "..."))

        return retrain(self.session.store.path, progress=progress, **self.retrain_options)

    def on_retrain_progress(self, message: RetrainProgress) -> None:
        self._status(message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._retrainer:
            return
        if event.state == WorkerState.SUCCESS:
            result = event.worker.result
            assert result is not None
            self.session.refresh()  # the new scores change the order of the unreviewed
            self._status("")
            self.show()
            self.notify(
                _retrained(result, self.session.store.path), title="Retrained", markup=False
            )
        elif event.state == WorkerState.ERROR:
            self._status("")
            error = event.worker.error
            message = str(error) if isinstance(error, CoderError) else repr(error)
            self.notify(f"Retraining failed: {message}", severity="error", markup=False)

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(Text(text))


def _retrained(result: Relearned, path: Path) -> str:
    """What a retrain did: the comments learnt from, then the new run, or why there is none."""
    left_out = f"; left out {result.conflicts} whose reviewers differ" if result.conflicts else ""
    done = f"Retrained on {result.trained_on} reviewed comments{left_out}"
    if result.kept is not None:
        new, current, measured = result.kept
        return (
            f"{done}, but its cross-validated micro-F1 ({new:.2f}) is below that of the "
            f"current suggestions on the {measured} reviewed comments they were measured on "
            f"({current:.2f}): the current suggestions are kept. Retrain again after more "
            "reviews (the model before learnt from comments this project has not got)"
        )
    return (
        f"{done}; re-scored {result.rescored} unreviewed comments as run {result.run_id}"
        + _retrain_caveats(result, path)
    )


def _retrain_caveats(result: Relearned, path: Path) -> str:
    """What a reviewer should know about a model of few comments, and how to take it back."""
    caveats = ""
    if result.model.meta.get("cv") is None:
        caveats += (
            ". Too few to cross-validate, so nobody can tell whether its suggestions are better "
            "than those they replaced"
        )
    if result.model.decision.at_least_one:
        caveats += ". Every comment it learnt from has a theme, so it gives every comment one"
    if result.replaced_labelled > result.trained_on:
        caveats += (
            f". The suggestions it replaced came from a model trained on "
            f"{result.replaced_labelled:,} labelled comments: on the comments nobody has "
            "reviewed, one trained on fewer may do worse (the reviewed ones, the hardest calls, "
            "cannot tell)"
        )
    return (
        caveats
        + f". To take it back: coder runs {shlex.quote(str(path))} --withdraw {result.run_id}"
    )
