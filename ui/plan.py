"""The Plan tab: pick an audience, focus areas, a language and optionally a profile; get a cited
action plan with a checkbox per step, and download it as Markdown, Word or PDF.

What survives a reload lives in the browser's localStorage, not on the server: the last request
(PLAN_REQUEST_KEY, saved when "Make the plan" is clicked and replayed on page load, so the same
plan comes back) and the ticked steps (PLAN_TICKS_KEY, keyed by each step's stable `key`, so a
tick follows its step into a re-ordered or re-generated plan). Every text from a document or the
user is HTML-escaped before it is shown.
"""

from __future__ import annotations

import html
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from advisor.answer.render import source_line
from advisor.components import Advisor
from advisor.plan.builder import build_plan, check_request
from advisor.plan.exports import export_plan
from advisor.plan.models import EXPORT_FORMATS, Plan, PlanRequest
from advisor.plan.render import notices, plan_groups, step_origin
from advisor.plan.rules import Headings, headings_for, load_headings, load_rules
from advisor.query.audience import audience_name

PLAN_REQUEST_KEY = "advisor-plan-request"
PLAN_TICKS_KEY = "advisor-plan-ticks"
EXPORT_LABELS = {"md": "Markdown", "docx": "Word", "pdf": "PDF"}
# Which profile fields each audience is asked for (the API accepts all of them).
PROFILE_FIELDS = {"business": ("sector", "size", "region"), "government": ("institution", "region")}

PLAN_CSS = """
#plan-view .plan { max-width: 860px; }
#plan-view .plan-title { margin: 4px 0 2px 0; }
#plan-view .plan-meta { opacity: .75; font-size: .9rem; margin: 0 0 8px 0; }
#plan-view .plan-notice { border-left: 3px solid #e0a100; background: #fff8e1; color: #4a3b00;
  padding: 6px 10px; margin: 6px 0; border-radius: 4px; font-size: .92rem; }
#plan-view h3.plan-stage { margin: 18px 0 4px 0; color: #1a3d7c; }
#plan-view h4.plan-area { margin: 10px 0 4px 0; }
#plan-view ol.plan-steps { padding-inline-start: 0; list-style: none; margin: 0; }
#plan-view li.plan-step { border: 1px solid #d9dde3; border-radius: 8px; padding: 8px 10px; margin: 6px 0;
  background: var(--background-fill-primary); }
#plan-view li.plan-step.done { opacity: .6; }
#plan-view li.plan-step.done .plan-text { text-decoration: line-through; }
#plan-view li.plan-step label { display: flex; gap: 8px; align-items: flex-start; cursor: pointer; }
#plan-view input.plan-tick { width: 20px; height: 20px; flex: none; margin-top: 2px; }
#plan-view .plan-n { font-weight: 700; }
#plan-view li.plan-step p.plan-why, #plan-view li.plan-step p.plan-origin { margin: 4px 0 0 28px !important;
  font-size: .9rem; opacity: .85; }
#plan-view [dir="rtl"] li.plan-step p.plan-why, #plan-view [dir="rtl"] li.plan-step p.plan-origin {
  margin: 4px 28px 0 0 !important; }
#plan-view details.plan-src { border: 1px solid #d9dde3; border-radius: 8px; padding: 6px 10px; margin: 6px 0; }
#plan-view details.plan-src blockquote { white-space: pre-wrap; font-size: .88rem; border-left: 3px solid #7aa2e3;
  margin: 6px 0; padding: 4px 10px; }
#plan-view .plan-footer { font-size: .8rem; opacity: .7; border-top: 1px solid #d9dde3; padding-top: 6px; }
#plan-downloads button { min-width: 0; }
@media (max-width: 700px) {
  #plan-view li.plan-step p.plan-why, #plan-view li.plan-step p.plan-origin { margin: 4px 0 0 0 !important; }
  #plan-view li.plan-step { padding: 8px; }
}
"""

# Ticks are the user's own notes: they stay in this browser and follow each step by its key.
PLAN_HEAD = f"""
<script>
(function () {{
  var KEY = "{PLAN_TICKS_KEY}";
  function ticks() {{ try {{ return JSON.parse(localStorage.getItem(KEY) || "{{}}"); }} catch (e) {{ return {{}}; }} }}
  function show(box) {{ var step = box.closest("li"); if (step) {{ step.classList.toggle("done", box.checked); }} }}
  document.addEventListener("change", function (event) {{
    var box = event.target;
    if (!box || !box.matches || !box.matches("input.plan-tick")) {{ return; }}
    var all = ticks();
    if (box.checked) {{ all[box.dataset.key] = 1; }} else {{ delete all[box.dataset.key]; }}
    localStorage.setItem(KEY, JSON.stringify(all));
    show(box);
  }}, true);
  function restore() {{
    var boxes = document.querySelectorAll("input.plan-tick:not([data-restored])");
    if (!boxes.length) {{ return; }}
    var all = ticks();
    boxes.forEach(function (box) {{ box.dataset.restored = "1"; box.checked = !!all[box.dataset.key]; show(box); }});
  }}
  new MutationObserver(restore).observe(document.documentElement, {{ childList: true, subtree: true }});
}})();
</script>
"""

# Runs in the browser before the request is sent: remember it, so a reload brings the plan back.
SAVE_REQUEST_JS = f"""(...values) => {{
  localStorage.setItem("{PLAN_REQUEST_KEY}", JSON.stringify(values));
  return values;
}}"""
LOAD_REQUEST_JS = f"""() => localStorage.getItem("{PLAN_REQUEST_KEY}") || "" """


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def quote(text: str) -> str:
    """A verbatim quote: escaped, and marked English left-to-right inside any heading language."""
    return f'<span dir="ltr" lang="en">{esc(text)}</span>'


def cite(numbers: list[int]) -> str:
    return "".join(f'<a class="plan-cite" href="#src-plan-{n}">[{n}]</a>' for n in numbers)


def plan_html(plan: Plan, headings: Headings) -> str:
    """The plan as HTML: headings in its language, steps with a checkbox each, sources to open."""
    direction = "rtl" if headings.rtl else "ltr"
    parts = [
        f'<div class="plan" dir="{direction}" lang="{esc(plan.language)}">',
        f'<h2 class="plan-title">{esc(plan.title)}</h2>',
        f'<p class="plan-meta">{esc(plan.subtitle)}</p>',
    ]
    parts += [f'<div class="plan-notice" role="note">{esc(n)}</div>' for n in notices(plan, headings)]
    for stage in plan_groups(plan):
        parts.append(f'<h3 class="plan-stage">{esc(stage.title)}</h3>')
        for area in stage.areas:
            parts.append(f'<h4 class="plan-area">{esc(area.title)}</h4><ol class="plan-steps">')
            for step in area.steps:
                where = step_origin(step, headings)
                parts.append(
                    f'<li class="plan-step" data-n="{step.n}"><label>'
                    f'<input type="checkbox" class="plan-tick" data-key="{esc(step.key)}" aria-label="Step {step.n} done">'
                    f'<span><span class="plan-n">{step.n}.</span> <span class="plan-text">{quote(step.text)}</span> '
                    f"{cite(step.citations)}</span></label>"
                    f'<p class="plan-why"><b>{esc(headings["why"])}:</b> {quote(step.why)} {cite(step.citations)}</p>'
                    + (f'<p class="plan-origin">{esc(where)}</p>' if where else "")
                    + "</li>"
                )
            parts.append("</ol>")
    parts.append(f'<h3 class="plan-stage">{esc(headings["sources"])}</h3>')
    for c in plan.citations:
        parts.append(
            f'<details class="plan-src" id="src-plan-{c.n}" dir="ltr" lang="en"><summary>{esc(source_line(c).replace("*", ""))}'
            f"</summary><blockquote>{esc(c.text)}</blockquote></details>"
        )
    if plan.attribution:
        parts.append(f'<p class="plan-attribution" dir="ltr" lang="en">{esc(plan.attribution)}</p>')
    parts.append(f'<p class="plan-footer">{esc(plan.footer)}</p></div>')
    return "".join(parts)


def write_exports(plan: Plan, advisor: Advisor, folder: Path) -> dict[str, str]:
    """The plan's three files in a fresh folder (their names stay the sensible download names)."""
    target = folder / uuid.uuid4().hex[:12]
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in EXPORT_FORMATS:
        file = export_plan(plan, fmt, advisor.settings)
        path = target / file.filename
        path.write_bytes(file.content)
        paths[fmt] = str(path)
    return paths


def plan_request(audience: str, areas: list[str] | None, language: str, **profile: str) -> PlanRequest:
    """The request the form describes; profile fields the audience is not asked for are left out."""
    asked = PROFILE_FIELDS.get(audience, ())
    return PlanRequest(
        audience=audience,  # type: ignore[arg-type]
        focus_areas=list(areas or []),
        profile={k: v for k, v in profile.items() if k in asked and v},
        language=language or "en",
    )


def sentence_case(text: str) -> str:
    """"businesses and SMEs" -> "Businesses and SMEs" (str.capitalize would lower the SMEs)."""
    return text[:1].upper() + text[1:]


def build_plan_tab(advisor: Advisor, page: gr.Blocks) -> gr.Tab:
    """The "Plan" tab, created inside the caller's Blocks; `page` replays a saved plan on load."""
    settings = advisor.settings
    rules = load_rules(settings.plan_rules_file, advisor.taxonomy)
    languages = load_headings(settings.plan_headings_file)
    area_choices = [(advisor.taxonomy.area(a).title if advisor.taxonomy.area(a) else a, a) for a in rules.order]
    export_dir = Path(tempfile.gettempdir()) / "gradio" / "advisor-plans"

    with gr.Tab("Plan", id="plan", elem_id="plan-tab") as tab:
        gr.Markdown(
            "A step-by-step plan quoted from the strategy: every step and its reason come from the text, with "
            "its source. Tick steps off as you go; the ticks stay in this browser."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=280):
                # The long names ("Governments and public administrations"): the chat tab's switch
                # already says "Government", and one page should not have two controls of one name.
                audience = gr.Radio(
                    [(sentence_case(audience_name(a, "label")), a) for a in ("business", "government")],
                    value="business", label="Plan for", elem_id="plan-audience",
                )
                areas = gr.CheckboxGroup(area_choices, value=list(rules.order), label="Focus areas", elem_id="plan-areas")
                language = gr.Dropdown(
                    [(h.name, code) for code, h in languages.items()], value="en",
                    label="Language of the headings (quotes stay in English)", elem_id="plan-language",
                )
                with gr.Accordion("Profile (optional: chooses and orders steps, adds no text)", open=False):
                    longest = settings.plan_max_profile_chars
                    sector = gr.Textbox(label="Sector", placeholder="e.g. fintech", max_length=longest, elem_id="plan-sector")
                    size = gr.Textbox(label="Size", placeholder="e.g. startup, SME", max_length=longest, elem_id="plan-size")
                    institution = gr.Textbox(
                        label="Institution", placeholder="e.g. ministry of digital affairs", visible=False,
                        max_length=longest, elem_id="plan-institution",
                    )
                    region = gr.Textbox(label="Region", placeholder="e.g. West Africa", max_length=longest, elem_id="plan-region")
                    gr.Markdown(f"_Up to {settings.plan_max_profile_chars} characters in all._")
                make = gr.Button("Make the plan", variant="primary", elem_id="plan-generate")
                with gr.Row(elem_id="plan-downloads"):
                    downloads = [
                        gr.DownloadButton(EXPORT_LABELS[f], value=None, interactive=False, size="sm", elem_id=f"plan-{f}")
                        for f in EXPORT_FORMATS
                    ]
                saved = gr.Textbox(visible=False, elem_id="plan-saved")
            with gr.Column(scale=3, min_width=300):
                view = gr.HTML('<p class="plan-empty">Your plan appears here.</p>', elem_id="plan-view")

    inputs = [audience, areas, language, sector, size, institution, region]

    def make_plan(audience_: str, areas_: list[str], language_: str, sector_: str, size_: str, institution_: str,
                  region_: str) -> tuple[Any, ...]:
        try:
            request = plan_request(
                audience_, areas_, language_, sector=sector_, size=size_, institution=institution_, region=region_
            )
            plan = build_plan(advisor, request)
        except ValueError as exc:
            message = f'<p class="plan-error" role="alert">⚠️ {esc(str(exc))}</p>'
            return (message, *[gr.DownloadButton(value=None, interactive=False) for _ in EXPORT_FORMATS])
        headings = headings_for(settings.plan_headings_file, plan.language)
        files = write_exports(plan, advisor, export_dir)
        return (plan_html(plan, headings), *[gr.DownloadButton(value=files[f], interactive=True) for f in EXPORT_FORMATS])

    def restore(saved_request: str) -> tuple[Any, ...]:
        """Page load: the last request made in this browser, and its plan, come back. Anything
        else in that storage slot (an old format, a hand edit) is ignored, not shown as an error."""
        nothing = tuple(gr.skip() for _ in range(len(inputs) + 1 + len(EXPORT_FORMATS)))
        try:
            values = json.loads(saved_request) if saved_request else None
            if not isinstance(values, list) or len(values) != len(inputs):
                return nothing
            audience_, areas_, language_, sector_, size_, institution_, region_ = values
            request = plan_request(
                audience_, areas_, language_, sector=sector_, size=size_, institution=institution_, region=region_
            )
            check_request(request, rules, settings)
        except (TypeError, ValueError):  # json.JSONDecodeError and pydantic's ValidationError included
            return nothing
        return (*values, *make_plan(*values))

    def ask_for(audience_: str) -> tuple[Any, ...]:
        shown = PROFILE_FIELDS.get(audience_, ())
        return tuple(gr.update(visible=name in shown) for name in ("sector", "size", "institution"))

    outputs = [view, *downloads]
    make.click(make_plan, inputs, outputs, js=SAVE_REQUEST_JS)
    audience.change(ask_for, audience, [sector, size, institution])
    page.load(restore, saved, [*inputs, *outputs], js=LOAD_REQUEST_JS)  # audience.change then shows its fields
    return tab
