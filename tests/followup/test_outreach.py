"""Outreach templates: files with front matter, rendered in the sandbox with a lead's values,
checked against sample leads, and turned into a `mailto:` link for a Slack button."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.followup.outreach import (
    OutreachError,
    OutreachTemplates,
    Rendered,
    TemplateProblem,
    mailto_url,
)
from bot.followup.outreach_check import check_templates
from bot.followup.outreach_context import (
    OutreachContext,
    cadence_values,
    lead_values,
    owner_values,
    sample_contexts,
    split_name,
)
from tests.strategies import texts

STARTERS = Path(__file__).resolve().parents[2] / "bot" / "followup" / "starter"
DANA = OutreachContext(
    lead_values(name="Dana Whitfield", email="dana@northwind.example", company="Northwind"),
    owner_values(name="Alice Moreno", email="alice@leadbot.example"),
    cadence_values(name="default", day=1, step=1, steps=6, channel="email"),
)
NOBODY = OutreachContext(lead_values(email="ops@example.com"), owner_values(name="Alice"))


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load_one(directory: Path, text: str, name: str = "intro") -> OutreachTemplates:
    write(directory, f"{name}.md.j2", text)
    templates, problems = OutreachTemplates.load(directory)
    assert problems == []
    return templates


def problems_for(directory: Path, text: str, name: str = "intro") -> list[str]:
    write(directory, f"{name}.md.j2", text)
    templates, problems = OutreachTemplates.load(directory)
    assert templates.names() == []  # a file with a problem is not used
    return [str(problem) for problem in problems]


# -- load and render ------------------------------------------------------------------------


def test_a_template_renders_its_subject_body_and_channel(tmp_path: Path) -> None:
    templates = load_one(
        tmp_path,
        "---\n"
        'subject: "Quick question, {{ lead.first_name }}"\n'
        "channel: email\n"
        "description: Day 1\n"
        "---\n"
        "Hi {{ lead.first_name }},\n"
        "\n"
        "{% if lead.company %}\n"
        "How is {{ lead.company }} doing?\n"
        "{% endif %}\n"
        "{{ owner.first_name }} (step {{ cadence.step }} of {{ cadence.steps }})\n",
    )
    assert templates.names() == ["intro"]
    template = templates.get("intro")
    assert template is not None
    assert (template.channel, template.description, template.body_line) == ("email", "Day 1", 6)
    assert templates.render("intro", DANA) == Rendered(
        subject="Quick question, Dana",
        body="Hi Dana,\n\nHow is Northwind doing?\nAlice (step 1 of 6)",
        channel="email",
    )


def test_without_front_matter_a_template_is_an_email_without_subject(tmp_path: Path) -> None:
    templates = load_one(tmp_path, "Hi {{ lead.name }}")
    template = templates.get("intro")
    assert template is not None
    assert (template.channel, template.subject_source, template.body_line) == ("email", None, 1)
    assert templates.render("intro", DANA) == Rendered(None, "Hi Dana Whitfield", "email")


def test_the_channel_comes_from_the_front_matter(tmp_path: Path) -> None:
    templates = load_one(tmp_path, "---\nchannel: linkedin\n---\nHi", name="connect")
    assert templates.render("connect", DANA).channel == "linkedin"


def test_unknown_values_take_their_default_or_print_as_nothing(tmp_path: Path) -> None:
    templates = load_one(
        tmp_path,
        'Hi {{ lead.first_name | default("there") }}, [{{ lead.company }}] '
        '[{{ lead.fields.industry }}] [{{ owner.email | default("-") }}] [{{ nope.x.y }}]',
    )
    assert templates.render("intro", NOBODY).body == "Hi there, [] [] [-] []"


def test_a_blank_value_counts_as_unknown(tmp_path: Path) -> None:
    templates = load_one(tmp_path, '{{ lead.company | default("your team") }}')
    blank = OutreachContext(lead_values(company="   ", fields={"size": ""}))
    assert templates.render("intro", blank).body == "your team"
    assert blank.lead["fields"] == {}


def test_an_unknown_template_name_is_an_outreach_error(tmp_path: Path) -> None:
    templates = load_one(tmp_path, "Hi")
    with pytest.raises(OutreachError, match="no template named 'nope'"):
        templates.render("nope", DANA)


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        # The first word, and the rest as the last name: forms put family names last far more
        # often than not, and guessing which words belong together is worse.
        ("Ana María López", "Ana", "María López"),
        ("  Dana \n Whitfield ", "Dana", "Whitfield"),
        ("Cher", "Cher", None),
        ("", None, None),
        (None, None, None),
        ("dana@northwind.example", None, None),  # an email in the name field is no name
        ("123", None, None),
    ],
)
def test_a_name_splits_into_first_and_last(
    name: str | None, first: str | None, last: str | None
) -> None:
    assert split_name(name) == (first, last)
    values = lead_values(name=name)
    assert (values.get("first_name"), values.get("last_name")) == (first, last)


def test_lead_values_drop_control_characters_and_keep_lines_in_the_message() -> None:
    values = lead_values(company="North\x00wind\nTraders", message=" Line 1\n\tLine 2\x1b ")
    assert values["company"] == "Northwind Traders"
    assert values["message"] == "Line 1\n\tLine 2"


# -- problems name the file and the line -----------------------------------------------------


def test_a_syntax_error_is_reported_on_its_line_in_the_file(tmp_path: Path) -> None:
    text = "---\nsubject: Hi\nchannel: email\n---\nHi,\n\n{{ lead.name }\nBye\n"
    path = tmp_path / "intro.md.j2"
    assert problems_for(tmp_path, text) == [f"{path}:7: unexpected '}}'"]


def test_a_runtime_error_says_its_line_in_the_file(tmp_path: Path) -> None:
    templates = load_one(tmp_path, "---\nchannel: call\n---\nHi\n\n{{ 1 / 0 }}\n")
    with pytest.raises(OutreachError) as caught:
        templates.render("intro", DANA)
    assert caught.value.problem.line == 6
    assert str(caught.value) == f"{tmp_path / 'intro.md.j2'}:6: ZeroDivisionError: division by zero"


def test_a_subject_error_is_reported_on_the_subject_line(tmp_path: Path) -> None:
    text = '---\nchannel: email\nsubject: "Hi {{ lead.name | nosuchfilter }}"\n---\nHi\n'
    [problem] = problems_for(tmp_path, text)
    assert problem == f"{tmp_path / 'intro.md.j2'}:3: No filter named 'nosuchfilter'."


def test_front_matter_problems_are_all_named(tmp_path: Path) -> None:
    text = "---\nsubject: Hi\ntone: friendly\nchannel: fax\n---\nHi\n"
    path = tmp_path / "intro.md.j2"
    assert problems_for(tmp_path, text) == [
        f"{path}:3: unknown front-matter key 'tone' (known: channel, description, subject)",
        f"{path}:4: channel must be one of email, call, linkedin, sms, got 'fax'",
    ]


def test_unreadable_yaml_front_matter_says_where(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, "---\nchannel: email\nsubject: [unclosed\n---\nHi\n")
    assert problem == (
        f"{tmp_path / 'intro.md.j2'}:3: front matter is not valid YAML: "
        "expected ',' or ']', but got '<stream end>'"
    )


def test_an_unquoted_subject_template_gets_a_hint(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, "---\nsubject: {{ lead.company }} and us\n---\nHi\n")
    assert ":2: " in problem
    assert "quote a value that starts with '{'" in problem


def test_front_matter_without_its_closing_line(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, "---\nsubject: Hi\nHi there\n")
    assert problem.endswith(":1: the front matter opened here has no closing '---' line")


@pytest.mark.parametrize("name", ["Intro", "2nd_touch", "intro step", "_x", "a" * 65])
def test_a_file_name_must_be_a_template_name(tmp_path: Path, name: str) -> None:
    [problem] = problems_for(tmp_path, "Hi", name=name)
    assert problem.startswith(f"{tmp_path / (name + '.md.j2')}: {name + '.md.j2'!r} is not a")


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path, "good.md.j2", "Hi {{ lead.first_name }}")
    write(tmp_path, "bad.md.j2", "{% if %}")
    write(tmp_path, "latin1.md.j2", "")
    (tmp_path / "latin1.md.j2").write_bytes(b"caf\xe9")
    write(tmp_path, "README.md", "not a template")
    templates, problems = OutreachTemplates.load(tmp_path)
    assert templates.names() == ["good"]
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'bad.md.j2'}:1: Expected an expression, got 'end of statement block'",
        f"{tmp_path / 'latin1.md.j2'}: not a UTF-8 text file",
    ]


def test_a_missing_directory_is_one_problem(tmp_path: Path) -> None:
    templates, problems = OutreachTemplates.load(tmp_path / "nowhere")
    assert templates.names() == []
    assert problems == [TemplateProblem(str(tmp_path / "nowhere"), None, "no such directory")]


# -- the sandbox and the limits --------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ lead.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ lead['__class__'] }}",
        "{{ lead | attr('__class__') }}",
        "{{ '{0.__class__}'.format(lead) }}",
        "{% set k = 'name' %}{{ lead[k] }}",  # a name computed at run time cannot be checked
        "{% include 'other.md.j2' %}",
    ],
)
def test_an_attack_is_refused_when_the_file_is_loaded(tmp_path: Path, source: str) -> None:
    problems = problems_for(tmp_path, f"Hi\n{source}")
    assert problems
    assert all(f"{tmp_path / 'intro.md.j2'}:2: " in problem for problem in problems)


@pytest.mark.parametrize(
    "source",
    [
        "{{ lead.items() | map(attribute='__class__') | list }}",
        "{{ lead.fields.update({'owned': 1}) }}",
    ],
)
def test_an_attack_found_only_at_run_time_fails_safely(tmp_path: Path, source: str) -> None:
    templates = load_one(tmp_path, source)
    context = OutreachContext(lead_values(name="Dana", fields={"a": 1}))
    with pytest.raises(OutreachError, match="refused by the sandbox"):
        templates.render("intro", context)
    assert context.lead["fields"] == {"a": 1}  # never executed


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{% for i in range(10**9) %}x{% endfor %}", "Range too big"),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "loop passes",
        ),
        ("{% for i in range(99999) %}{{ i }}{% endfor %}", "more than 20,000 characters"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "calls itself"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "made a value of",
        ),
        ("{{ 'x' * 10**9 }}", "would make more than"),
        ("{{ 9 ** 9 ** 9 }}", "bits"),
        ("{{ '%0999999999d' % 1 }}", "format width"),
        ("{{ 'x' | center(999999999) }}", "width"),
    ],
)
def test_a_runaway_template_stops_quickly(tmp_path: Path, source: str, says: str) -> None:
    templates = load_one(tmp_path, source)
    started = time.monotonic()
    with pytest.raises(OutreachError, match=says):
        templates.render("intro", DANA)
    assert time.monotonic() - started < 5


# -- check_templates -------------------------------------------------------------------------


def test_the_starter_templates_check_clean() -> None:
    assert check_templates(STARTERS) == []


def test_the_starter_set_covers_the_default_cadence() -> None:
    templates, _ = OutreachTemplates.load(STARTERS)
    channels = {name: templates.get(name).channel for name in templates.names()}  # type: ignore[union-attr]
    assert channels == {
        "breakup": "email",
        "call_script": "call",
        "case_study": "email",
        "connect": "linkedin",
        "intro": "email",
        "value": "email",
    }


def test_check_warns_about_a_value_printed_without_a_default(tmp_path: Path) -> None:
    write(tmp_path, "intro.md.j2", "---\nchannel: email\n---\nHi,\n{{ lead.company }} rocks\n")
    [problem] = check_templates(tmp_path)
    assert (problem.line, problem.severity) == (5, "warning")
    assert problem.message.startswith(
        "'lead.company' has no value for a lead with only an email and no default"
    )


def test_check_warns_about_a_name_leadbot_does_not_provide(tmp_path: Path) -> None:
    write(tmp_path, "intro.md.j2", "Hi {{ lead.frist_name | default('there') }}\n{{ leed }}")
    assert [str(p) for p in check_templates(tmp_path)] == [
        f"{tmp_path / 'intro.md.j2'}:1: warning: 'lead.frist_name' is not a value leadbot "
        "provides (company, country, email, fields, first_name, id, last_name, message, name, "
        "phone, product, region, source)",
        f"{tmp_path / 'intro.md.j2'}:2: warning: 'leed' is not a value leadbot provides",
    ]


def test_check_warns_about_a_linkedin_note_over_300_characters(tmp_path: Path) -> None:
    write(tmp_path, "connect.md.j2", "---\nchannel: linkedin\n---\n" + "Hello there. " * 30)
    problems = check_templates(tmp_path)
    assert problems and all(not p.is_error for p in problems)
    assert "a LinkedIn connection note holds 300" in problems[0].message


def test_check_reports_errors_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "good.md.j2", "Hi")
    write(tmp_path, "bad.md.j2", "---\nchannel: sms\n---\nHi\n{{ lead.id / 0 }}")
    [problem] = check_templates(tmp_path)  # the same error for each sample lead: said once
    assert (problem.path, problem.line, problem.severity) == (
        str(tmp_path / "bad.md.j2"),
        5,
        "error",
    )


# -- mailto ----------------------------------------------------------------------------------


def test_mailto_encodes_the_subject_and_a_multi_line_body() -> None:
    url = mailto_url("dana@northwind.example", "Q3 plans & pricing? Yes", "Hi Dana,\n\nThanks!")
    assert url == (
        "mailto:dana@northwind.example?subject=Q3%20plans%20%26%20pricing%3F%20Yes"
        "&body=Hi%20Dana%2C%0D%0A%0D%0AThanks%21"
    )


@pytest.mark.parametrize("to", [None, "", "dana", "dana@", "da na@x.io", "a@b", "x@y.io?cc=z"])
def test_mailto_needs_a_valid_address(to: str | None) -> None:
    assert mailto_url(to, "Hi", "Body") is None


def test_mailto_cuts_a_long_body_to_fit_a_slack_button() -> None:
    body = "é" * 5000
    url = mailto_url("dana@northwind.example", "Hello", body)
    assert url is not None
    assert len(url) <= 3000
    shown = unquote(url.partition("&body=")[2])
    assert shown.endswith("…")
    assert body.startswith(shown[:-1])
    assert len(shown) > 300  # "é" is six characters encoded: most of the room is used


def test_mailto_never_cuts_an_accent_from_its_letter() -> None:
    url = mailto_url("dana@northwind.example", None, "e\u0301" * 2000)
    assert url is not None
    shown = unquote(url.partition("?body=")[2])
    assert shown.endswith("e\u0301…")


@given(st.text(max_size=300), texts)
def test_mailto_always_fits(subject: str, body: str) -> None:
    url = mailto_url("dana@northwind.example", subject, body)
    assert url is not None
    assert url.startswith("mailto:dana@northwind.example")
    assert len(url) <= 3000


# -- generated input -------------------------------------------------------------------------

leads = st.builds(
    lead_values,
    id=st.none() | st.integers(1, 10**12),
    name=st.none() | texts,
    email=st.none() | texts,
    phone=st.none() | texts,
    company=st.none() | texts,
    product=st.none() | texts,
    message=st.none() | texts,
    country=st.none() | texts,
    fields=st.dictionaries(st.text(max_size=20), texts | st.integers() | st.none(), max_size=4),
)
owners = st.builds(owner_values, name=st.none() | texts, email=st.none() | texts)


# Each example renders the six starters: 8 s at the default 100. Ten long text fields at once
# sometimes exceed hypothesis's entropy budget (a FailedHealthCheck, 1 run in 3 or so): long
# values are the point here (the templates must cope with them), so that check is off.
@settings(max_examples=40, suppress_health_check=[HealthCheck.data_too_large])
@given(leads, owners)
def test_every_starter_template_renders_any_lead(
    lead: dict[str, object], owner: dict[str, object]
) -> None:
    context = OutreachContext(lead, owner, label="a generated lead")
    assert [p for p in check_templates(STARTERS, [context]) if p.is_error] == []


JINJA_BITS = [
    *("{{", "}}", "{%", "%}", "{#", "#}", "lead", "owner", "cadence", ".", "|", "(", ")"),
    *("[", "]", "'", '"', "~", "*", "**", "+", "%", "9", "0", " ", "\n", "for", "in"),
    *("endfor", "if", "endif", "set", "macro", "endmacro", "range", "default", "first_name"),
    *("fields", "__class__", "format", "join", "namespace", "---", "subject:", "channel:"),
]
sources = st.text() | st.lists(st.sampled_from(JINJA_BITS) | st.text(max_size=3)).map("".join)


@given(sources)
def test_a_generated_template_loads_or_renders_or_says_why(
    tmp_path_factory: pytest.TempPathFactory, source: str
) -> None:
    directory = tmp_path_factory.mktemp("generated")
    write(directory, "generated.md.j2", source)
    templates, problems = OutreachTemplates.load(directory)
    assert all(p.path.endswith("generated.md.j2") for p in problems)
    assert templates.names() == ([] if problems else ["generated"])
    for context in sample_contexts():
        with contextlib.suppress(OutreachError):  # anything else fails the test
            templates.render("generated", context)
