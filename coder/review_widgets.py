"""The review screen's dialogs: the memo input, the codebook search, the keys' help, and the
list of the review's comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from coder.codebook import Codebook
from coder.review import ReviewSession
from coder.review_render import help_table, list_cells, search_themes, theme_option

PAGE = 100  # comments in the list at a time: a page is read from the project when shown
THEMES_WIDTH = 40  # columns of the list's themes cell


class Dialog(ModalScreen[Any]):
    """A box in the middle of the screen; Esc closes it with no answer."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical {
        width: 80%;
        max-width: 110;
        height: auto;
        max-height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    Dialog .title { margin-bottom: 1; }
    Dialog OptionList { height: auto; max-height: 20; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class MemoDialog(Dialog):
    """Write or change the comment's memo: Enter saves (an empty memo clears it), Esc cancels."""

    def __init__(self, memo: str) -> None:
        super().__init__()
        self.memo = memo

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Memo on this comment: Enter saves, Esc cancels", classes="title")
            yield Input(
                value=self.memo, placeholder="a note for the team", select_on_focus=False, id="memo"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())


class ThemeSearch(Dialog):
    """Search the whole codebook for a theme to add: type to filter, ↑↓ to choose, Enter adds
    the highlighted theme, Esc cancels. Returns the theme's id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, codebook: Codebook, colors: Mapping[str, str]) -> None:
        super().__init__()
        self.codebook, self.palette = codebook, colors

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "Add a theme: type to search, ↑↓ to choose, Enter adds, Esc cancels",
                classes="title",
            )
            yield Input(placeholder="label, id or words of the definition", id="query")
            yield OptionList(id="themes")

    def on_mount(self) -> None:
        self.show_matches("")

    def show_matches(self, query: str) -> None:
        found = search_themes(self.codebook, query)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(theme_option(self.codebook, t, self.palette), id=t.id) for t in found
        )
        if found:
            options.highlighted = 0
        else:
            options.add_option(Option("no theme matches", disabled=True))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_matches(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.choose(options.get_option_at_index(options.highlighted))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(event.option)

    def choose(self, option: Option) -> None:
        if option.id is not None:
            self.dismiss(option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(current + step, options.option_count - 1))


class HelpScreen(Dialog):
    """The keys and what they do, scrolled with ↑↓ PgUp PgDn where the screen is short; Esc,
    ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen VerticalScroll { height: auto; max-height: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("question_mark,q", "cancel", "close")]

    def compose(self) -> ComposeResult:
        with Vertical(), VerticalScroll(id="help-scroll"):
            yield Static(help_table(), id="help")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()


class CommentList(ModalScreen[int | None]):
    """The review's comments a page at a time, in its order, as a table: ↑↓ to move, Enter
    opens the comment, [ ] turn the page, / finds comments by words or id, Esc (or l) goes
    back. Returns the comment's id."""

    DEFAULT_CSS = """
    CommentList { background: $surface; }
    CommentList #list-title { height: auto; padding: 0 1; }
    CommentList #find { margin: 0 1; }
    CommentList DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,l", "cancel", "back"),
        Binding("left_square_bracket", "page(-1)", "previous page"),
        Binding("right_square_bracket", "page(1)", "next page"),
        Binding("slash", "find", "find"),
    ]

    def __init__(self, session: ReviewSession, colors: Mapping[str, str]) -> None:
        super().__init__()
        self.session, self.palette = session, colors
        self.shown = session.ids  # the review's comments, or those a search found
        self.query_text = ""
        self.start = session.position // PAGE * PAGE  # the page holding the comment shown

    def compose(self) -> ComposeResult:
        yield Static(id="list-title")
        yield Input(placeholder="/ to find: words of a comment, or its id; Enter", id="find")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in ("#", "id", ""):
            table.add_column(name)
        table.add_column("themes", width=THEMES_WIDTH)  # so that the comments get the room
        table.add_column("comment")
        self.fill()

    def fill(self) -> None:
        """Show the page at `start`, the cursor on the comment shown if it is there."""
        table = self.query_one(DataTable)
        table.clear()
        page = self.shown[self.start : self.start + PAGE]
        for comment_id in page:
            view = self.session.view(comment_id)
            table.add_row(*list_cells(view, self.palette), key=str(comment_id))
        self.query_one("#list-title", Static).update(Text(self._title(len(page)), style="bold"))
        current = self.session.ids[self.session.position] if not self.session.done else None
        here = page.index(current) if current in page else 0
        table.move_cursor(row=here)
        table.focus()

    def _title(self, count: int) -> str:
        total = len(self.shown)
        which = f"matching '{self.query_text}'" if self.query_text else "in this review's order"
        if not count:
            return f"No comment {which}. / to find something else; Esc goes back."
        shown = f"{self.start + 1:,}-{self.start + count:,}"
        return (
            f"Comments {shown} of {total:,}, {which}. Enter opens one; [ ] turn the page; "
            "/ finds; Esc goes back."
        )

    def action_page(self, step: int) -> None:
        last = max(0, (len(self.shown) - 1) // PAGE * PAGE)
        start = min(max(0, self.start + step * PAGE), last)
        if start != self.start:
            self.start = start
            self.fill()

    def action_find(self) -> None:
        self.query_one("#find", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_text = event.value.strip()
        self.shown = self.session.find(self.query_text)
        self.start = 0
        self.fill()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.dismiss(int(event.row_key.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
