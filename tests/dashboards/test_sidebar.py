"""The sidebar's cards without a browser: each writes the shared selection, or says why not and
leaves it as it was."""

import pytest

from dashboards.selection import TYPED, Selection
from dashboards.sidebar import IntegrationSettings, ParameterEditor, Sidebar, SystemPicker, TypedEquations


class Messages(list):
    def __call__(self, message: str) -> None:
        self.append(message)


@pytest.fixture
def said():
    return Messages()


def test_the_picker_and_the_selection_follow_each_other_and_search_takes_only_a_known_name():
    selection = Selection()
    picker = SystemPicker(sel=selection)
    picker.picker.value = "Rossler"
    assert selection.system == "Rossler"
    selection.system = "Henon"  # a leaderboard click, a link
    assert picker.picker.value == "Henon"
    picker.search.value = "Thomas"
    assert selection.system == "Thomas"
    picker.show(selection.current_system())
    assert picker.info.object.startswith("### Thomas") and "source:** dysts" in picker.info.object


def test_a_parameter_box_sets_an_override_and_bad_text_is_a_message(said):
    selection = Selection()
    editor = ParameterEditor(sel=selection, report=said)
    editor.show(selection.base_system())
    assert sorted(editor.widgets) == ["beta", "rho", "sigma"]
    editor.widgets["rho"].value = "35"
    assert selection.param_overrides == {"rho": 35.0} and not said
    editor.widgets["rho"].value = "thirty"
    assert said == ["rho: 'thirty' is not a number"] and selection.param_overrides == {"rho": 35.0}
    editor.widgets["rho"].value = "28"  # the published value: no override left
    assert selection.param_overrides == {}
    selection.set_override("sigma", 12.0)  # set elsewhere (the Teach tab): the box shows it
    assert editor.widgets["sigma"].value == "12"
    editor.reset_values()
    assert selection.param_overrides == {} and editor.widgets["sigma"].value == "10"


def test_integration_settings_refuse_what_the_selection_cannot_take(said):
    selection = Selection()
    settings = IntegrationSettings(sel=selection, report=said)
    settings.show(selection.base_system())
    assert settings.dt_input.value == f"{selection.base_system().dt:.6g}"
    settings.dt_input.value = "-0.1"
    assert said[-1] == "dt must be positive, got -0.1" and selection.dt is None
    settings.dt_input.value = "0.02"
    assert selection.dt == 0.02
    points = settings.sampling[0]
    points.value = 10
    assert "Points must be between" in said[-1] and selection.n_points != 10
    points.value = 20_000
    assert selection.n_points == 20_000
    settings.ic_input.value = " 1, 2, 3 "
    assert selection.ic == "1, 2, 3"


def test_typed_equations_become_the_system_or_leave_it_with_the_reason(said):
    selection = Selection()
    typed = TypedEquations(sel=selection, report=said)
    typed.input.value = "x' = x.real"
    typed.use()
    assert selection.system == "Lorenz" and said
    typed.input.value = "x' = r*x*(1 - x); r = 3.7"
    typed.use()
    assert selection.system == TYPED and selection.equations.startswith("x' = r*x")


def test_a_link_with_bad_equations_opens_lorenz_with_the_reason(said):
    selection = Selection(system=TYPED, equations="dx = __import__('os')")
    TypedEquations(sel=selection, report=said).refuse_bad_link()
    assert selection.system == "Lorenz" and said[0].startswith("the link's equations were not used")


def test_the_sidebar_shows_a_system_in_every_card_and_reset_refreshes_the_card(said):
    selection = Selection(system="Henon")
    sidebar = Sidebar(sel=selection, report=said)
    sidebar.show(selection.base_system())
    assert sorted(sidebar.parameters.widgets) == ["a", "b"] and "### Henon" in sidebar.picker.info.object
    sidebar.parameters.widgets["a"].value = "1.3"
    sidebar.picker.show(selection.current_system())
    assert "parameters changed" in sidebar.picker.info.object
    sidebar.parameters.reset.clicks += 1
    assert selection.param_overrides == {} and "parameters changed" not in sidebar.picker.info.object


def test_the_card_shows_the_labs_spectrum_first_and_says_when_dysts_disagrees_with_itself():
    from core import systems
    from dashboards.sidebar import info_markdown

    card = info_markdown(systems.get("Lorenz"))
    lab = card.index("Lyapunov spectrum (the lab):** (0.9")  # Sprott: 0.9056
    assert lab < card.index("largest Lyapunov exponent (dysts):** 0.8917") < card.index("Lyapunov spectrum (dysts):** (1.09")
    assert "Kaplan–Yorke dimension 2.06" in card
    assert "dysts's own two numbers disagree: its largest exponent is 0.8917, its spectrum's is 1.09 (+22%)" in card
    assert "the lab and dysts disagree" not in card
    mackey = info_markdown(systems.get("MackeyGlass"))
    assert "the lab and dysts disagree: λ1 = -3e-06 ± 2e-05 here (not chaotic" in mackey and ", …)" in mackey
    changed = info_markdown(systems.get("Lorenz", rho=35.0))
    assert "(the lab)" not in changed and "parameters changed" in changed
